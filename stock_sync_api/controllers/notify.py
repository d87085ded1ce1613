"""``POST /stock_sync_api/notify``: the stock API tells Odoo which products
changed, and they are synced within seconds.

A notification is believed only when it is signed with the shared secret
(the setting ``stock_sync_api.notify_secret``) and fresh, and even then it
only names products to ask the API again about: whatever else its body says
(a quantity, say) is never read. The checks, in this order, each refusing
the request with nothing changed:

1. size: a body without ``Content-Length`` (411) or over 64 KiB (413);
2. signature: ``X-Stock-Sync-Signature: sha256=<hex HMAC-SHA256(secret,
   "<X-Stock-Sync-Timestamp>.<raw body>")>``, compared in constant time
   (401 when missing or wrong);
3. freshness: ``X-Stock-Sync-Timestamp`` (UNIX seconds) at most 300 s away
   from Odoo's clock, so that a notification caught on the way cannot be
   sent again later (401);
4. shape: ``{"product_ids": [...]}``, at most 1000 strings (400).

Then the known products are queued (:meth:`stock.sync.notification._queue`)
and the answer is 202 ``{"accepted": N}``. The route never syncs, never
writes a product's row nor waits for one a running synchronisation holds,
and answers in a few queries.

Rotation without downtime: the setting may hold several secrets separated by
whitespace; a signature valid under any of them is accepted. Add the new
secret next to the old one, switch the stock system to the new one, then
remove the old one.

The error bodies are ``{"error": "..."}`` in English, for the integrator of
the stock system (no Odoo user reads them); they never show the secret.
"""

import hashlib
import hmac
import json
import logging
import re
import time

from odoo import http
from odoo.http import request

from ..engine import read_setting

_logger = logging.getLogger(__name__)

ROUTE = "/stock_sync_api/notify"
#: The largest body accepted, in bytes.
MAX_BODY_BYTES = 64 * 1024
#: The most product IDs one notification may name.
MAX_PRODUCT_IDS = 1000
#: How far, in seconds, a notification's timestamp may be from Odoo's clock.
TOLERANCE_SECONDS = 300
TIMESTAMP_HEADER = "X-Stock-Sync-Timestamp"
SIGNATURE_HEADER = "X-Stock-Sync-Signature"

_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
_TIMESTAMP = re.compile(r"[0-9]{1,15}")


def sign(secret, timestamp, body):
    """The signature header's value of ``body`` (bytes) sent at ``timestamp`` (str)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_problem(secrets, timestamp, body, signature):
    """Why ``signature`` is not that of ``timestamp`` and ``body`` under one of
    ``secrets``, or None. Each secret is compared in constant time.

    :param secrets: the secrets accepted (several while one is rotated)
    :param timestamp: the timestamp header as sent, None when missing
    :param signature: the signature header as sent, None when missing
    """
    if timestamp is None or signature is None:
        return f"the headers {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are both required"
    if not _TIMESTAMP.fullmatch(timestamp):
        return f"{TIMESTAMP_HEADER} must be the UNIX time in whole seconds"
    match = _SIGNATURE.fullmatch(signature)
    if not match:
        return f"{SIGNATURE_HEADER} must be sha256= followed by 64 hexadecimal digits"
    given = match.group(1).lower().encode()
    valid = False
    for secret in secrets:
        expected = sign(secret, timestamp, body).removeprefix("sha256=").encode()
        valid |= hmac.compare_digest(expected, given)
    if not valid:
        return "the signature does not match the body and timestamp under the shared secret"
    return None


def parse_product_ids(body):
    """The product IDs of a notification's body.

    :raises ValueError: the body is not ``{"product_ids": [...]}`` with at most
        :data:`MAX_PRODUCT_IDS` strings; the message says what is wrong
    """
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("the body is not JSON in UTF-8") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("product_ids"), list):
        raise ValueError('the body must be a JSON object {"product_ids": [...]}')
    product_ids = payload["product_ids"]
    if len(product_ids) > MAX_PRODUCT_IDS:
        raise ValueError(f"at most {MAX_PRODUCT_IDS} product IDs per notification, not {len(product_ids)}")
    if not all(isinstance(product_id, str) for product_id in product_ids):
        raise ValueError("product_ids must be a list of strings")
    return product_ids


class StockSyncNotify(http.Controller):
    @http.route(
        ROUTE,
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def notify(self, **_params):
        secrets = read_setting(request.env, "notify_secret").split()
        if not secrets:
            return self._refuse(404, "notifications are turned off: no shared secret is set in Odoo")
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is None:
            return self._refuse(411, "the Content-Length header is required")
        if length > MAX_BODY_BYTES:
            return self._refuse(413, f"the body is over {MAX_BODY_BYTES} bytes")
        # Cached: read again as it is when a serialisation failure makes Odoo retry.
        body = httprequest.get_data(cache=True)
        if len(body) > MAX_BODY_BYTES:
            return self._refuse(413, f"the body is over {MAX_BODY_BYTES} bytes")
        timestamp = httprequest.headers.get(TIMESTAMP_HEADER)
        problem = signature_problem(secrets, timestamp, body, httprequest.headers.get(SIGNATURE_HEADER))
        if problem:
            return self._refuse(401, problem)
        skew = time.time() - int(timestamp)
        if abs(skew) > TOLERANCE_SECONDS:
            return self._refuse(
                401,
                f"the timestamp is {abs(skew):.0f} s {'old' if skew > 0 else 'ahead'}: at most "
                f"{TOLERANCE_SECONDS} s from Odoo's clock are accepted",
            )
        try:
            product_ids = parse_product_ids(body)
        except ValueError as exc:
            return self._refuse(400, str(exc))
        accepted, left_out, unknown = request.env["stock.sync.notification"].sudo()._queue(product_ids)
        _logger.info(
            "Stock API notification from %s: %d products queued, %d left out, %d unknown IDs",
            httprequest.remote_addr,
            accepted,
            left_out,
            unknown,
        )
        return request.make_json_response({"accepted": accepted}, headers={"Cache-Control": "no-store"}, status=202)

    def _refuse(self, status, error):
        level = logging.WARNING if status == 401 else logging.INFO
        _logger.log(
            level, "Stock API notification from %s refused (%d): %s", request.httprequest.remote_addr, status, error
        )
        return request.make_json_response({"error": error}, headers={"Cache-Control": "no-store"}, status=status)
