"""Reading what ``sync-cli`` prints: one JSON line per external ID, and the
redaction of the token (and the API user) from anything that could reach a message."""

import dataclasses
import json
import logging
import math
from dataclasses import dataclass

from .ids import check_external_id

_logger = logging.getLogger(__name__)

#: Statuses that ``sync-cli`` prints, as documented in its contract.
API_STATUSES = frozenset(
    {
        "ok",
        "not_found",
        "invalid_response",
        "connection_error",
        "timeout",
        "http_error",
    }
)

#: Status given to IDs that ``sync-cli`` gave no usable answer for (it is
#: missing, crashed, timed out, printed garbage or too few lines).
CLI_ERROR = "cli_error"

#: Status given to IDs that cannot be sent to ``sync-cli`` at all.
INVALID_ID = "invalid_id"

@dataclass(frozen=True)
class FetchResult:
    """What became of one external ID."""

    external_id: str
    status: str
    quantity: float | None = None
    error: str | None = None
    http_status: int | None = None
    #: The quantity at each of the API's locations (``{code: quantity}``),
    #: when the answer says where the stock is; None when it does not.
    locations: dict | None = dataclasses.field(default=None, compare=False)
    #: Whether ``locations`` gives only some of the product's locations (the
    #: per-location lines of a listing of changes): the others are unknown,
    #: not empty, and the total ``quantity`` is only theirs.
    locations_partial: bool = False
    #: The stable code of a non-ok line (sync-cli's documented list), which
    #: the addon words in the user's language.
    reason: str | None = None
    #: The values the reason names (``value``, ``expected``, ``limit``, ...).
    values: dict = dataclasses.field(default_factory=dict, compare=False)

    @property
    def ok(self):
        return self.status == "ok"


def parse_output(external_ids, stdout, missing_error):
    """Match ``sync-cli``'s stdout lines to the IDs asked, in order.

    Lines that are complete and valid are kept. From the first line that is
    not (garbage, another ID, a line cut short) on, and for IDs with no line
    at all, the result is a :data:`CLI_ERROR` with a message saying why.
    """
    if isinstance(stdout, bytes):
        stdout = stdout.decode("utf-8", errors="replace")
    lines = stdout.split("\n")
    # The last element is what followed the last newline: a line cut short.
    complete, partial = lines[:-1], lines[-1]
    results = {}
    problem = None
    for index, external_id in enumerate(external_ids):
        if problem is None and index < len(complete):
            try:
                results[external_id] = parse_line(complete[index], external_id)
                continue
            except ValueError as exc:
                problem = f"sync-cli printed an unusable answer on line {index + 1}: {exc}"
        elif problem is None and index == len(complete) and partial:
            problem = f"sync-cli's output stopped in the middle of line {index + 1}"
        results[external_id] = FetchResult(external_id, CLI_ERROR, error=problem or missing_error)
    if len(complete) > len(external_ids):
        _logger.warning("sync-cli printed %d lines for %d external IDs", len(complete), len(external_ids))
    return results


def parse_line(line, external_id):
    """Parse one JSON line of ``sync-cli``'s output for ``external_id``.

    :raises ValueError: the line does not follow the contract
    """
    try:
        data = json.loads(line)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("external_id") != external_id:
        raise ValueError(f"answer for {data.get('external_id')!r} where {external_id!r} was expected")
    return parse_result(data, external_id)


def parse_result(data, external_id):
    """The :class:`FetchResult` of one parsed line (a JSON object) of
    ``sync-cli``'s output, ``fetch``'s or ``list``'s: the same rules.

    :raises ValueError: the object does not follow the contract
    """
    status = data.get("status")
    if status not in API_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    http_status = data.get("http_status")
    if not isinstance(http_status, int) or isinstance(http_status, bool):
        http_status = None
    if status == "ok":
        quantity = data.get("quantity")
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, (int, float))
            or not math.isfinite(quantity)
            or quantity < 0
        ):
            raise ValueError(f"status ok with an invalid quantity {quantity!r}")
        locations = parse_locations(data, float(quantity))
        return FetchResult(external_id, status, quantity=float(quantity), http_status=http_status, locations=locations)
    error = data.get("error")
    if not isinstance(error, str) or not error.strip():
        error = f"sync-cli reported {status} without a message"
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason:
        reason = None
    values = {
        key: value
        for key, value in data.items()
        if key not in LINE_KEYS and isinstance(value, (str, int, float)) and not isinstance(value, bool)
    }
    return FetchResult(
        external_id, status, error=error.strip(), http_status=http_status, reason=reason, values=values
    )


#: The keys of a line that are not values of its reason.
LINE_KEYS = frozenset(
    {"external_id", "status", "reason", "error", "quantity", "attempts", "elapsed_ms", "locations"}
)


def parse_locations(data, quantity):
    """The quantities per location of an ok line: its ``locations`` object
    (``{"PARIS": 30.0}``, the total equal to their sum), or the one
    ``location`` of a line of a listing read per location (``{"PARIS":
    quantity}``); None for a line that says neither.

    :raises ValueError: they do not follow the contract
    """
    if "location" in data:
        if "locations" in data:
            raise ValueError("status ok with both location and locations")
        code = data["location"]
        _check_location_code(code)
        return {code: quantity}
    locations = data.get("locations")
    if locations is None:
        return None
    if not isinstance(locations, dict):
        raise ValueError("status ok with locations that are not a JSON object")
    result = {}
    for code, value in locations.items():
        _check_location_code(code)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"status ok with an invalid quantity {value!r} at location {code!r}")
        result[code] = float(value)
    if not math.isclose(sum(result.values()), quantity, rel_tol=1e-9, abs_tol=1e-9):
        raise ValueError(f"status ok with a quantity {quantity!r} that is not the sum of its locations'")
    return result


def _check_location_code(code):
    problem = check_external_id(code)
    if problem:
        raise ValueError(f"status ok with an invalid location {code!r}: {problem.replace('external ID', 'code')}")


#: The shortest piece of the token that must never be shown.
_TOKEN_PIECE = 8


def redact(text, token):
    """``text`` with every run of 8 characters of ``token`` (all of it when
    shorter) replaced by ``<redacted>``.

    ``token``: one secret, or several (the token, the user of HTTP Basic
    authentication, the base64 text that carries them both).
    """
    secrets = [token] if isinstance(token, str) else [secret for secret in token or () if secret]
    if not text or not any(secrets):
        return text
    pieces_by_width = {}
    for secret in secrets:
        if not secret:
            continue
        width = min(_TOKEN_PIECE, len(secret))
        pieces = pieces_by_width.setdefault(width, set())
        pieces.update(secret[i : i + width] for i in range(len(secret) - width + 1))
    hidden = [False] * len(text)
    for width, pieces in pieces_by_width.items():
        for i in range(len(text) - width + 1):
            if text[i : i + width] in pieces:
                hidden[i : i + width] = [True] * width
    if not any(hidden):
        return text
    out = []
    i = 0
    while i < len(text):
        if hidden[i]:
            out.append("<redacted>")
            while i < len(text) and hidden[i]:
                i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def redact_result(result, token):
    """``result`` with :func:`redact` applied to its error and its reason's values."""
    if not result.error and not result.values:
        return result
    values = {key: redact(value, token) if isinstance(value, str) else value for key, value in result.values.items()}
    return dataclasses.replace(result, error=redact(result.error, token), values=values)
