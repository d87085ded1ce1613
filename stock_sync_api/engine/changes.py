"""A round of changes: in listing mode, the products that the API's listing
says changed since the last complete listing, and only them."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from odoo import _
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..synccli import list_stock
from .config import read_config
from .reasons import word_listing_reason

_logger = logging.getLogger(__name__)

#: A round of changes asks since the last complete listing's time less this
#: margin: a change stamped by the API just before its listing began is not
#: missed (a product listed twice is only compared again).
SINCE_MARGIN = timedelta(seconds=60)


class Changes(NamedTuple):
    """What a round of changes takes."""

    #: No complete listing yet: the whole catalog is synced (the scheduled round).
    full_round: bool
    #: The variants the listing says changed.
    products: Any = None
    #: The listing of changes, read once for the round.
    listing: Any = None


def read_changes(env):
    """What changed since the last complete listing, less a margin.

    Times are the API's own (the ``Date`` of a listing's first page), never
    Odoo's. A listing of no product, a listing mode that is off, settings that
    are wrong or a listing of changes that is incomplete take nothing (the
    last one ends a run of trigger ``changes`` as failed): all are logged.

    :return: a :class:`Changes`, or None when there is nothing to sync
    """
    Run = env["stock.sync.run"]
    try:
        config = read_config(env)
    except UserError as exc:
        # The hourly round fails, and alerts, for the same reason.
        _logger.warning("Stock API changes not asked: %s", exc.args[0])
        return None
    if config.mode != "listing":
        _logger.info("Stock API changes not asked: the synchronisation asks one request per product")
        return None
    _give_up_unfinished(Run)
    last = _last_listing_time(env)
    since = _since(last)
    if since is None:
        _logger.info("Stock API: no complete listing applied yet (%r), the whole catalog is synchronised", last)
        return Changes(full_round=True)
    Product = env["product.product"]
    domain = Product._get_api_sync_domain()
    listing = list_stock(config.settings, config.listing, since=since, expected=Product.search_count(domain))
    if not listing.complete:
        run = Run._start("changes")
        _logger.warning(
            "Stock API synchronisation %s: the listing of changes is incomplete: %s", run.name, listing.error
        )
        run._fail(
            _(
                "The stock API's listing is incomplete, nothing was applied: %(error)s",
                error=word_listing_reason(env, listing.reason, listing.values) or listing.error,
            )
        )
        return None
    products = Product.search(domain & Domain("api_external_id", "in", list(listing.results)), order="id")
    _logger.info(
        "Stock API: %d products listed as changed since %s, %d of them synchronised in Odoo",
        len(listing.results),
        since,
        len(products),
    )
    if not products:
        return None
    return Changes(full_round=False, products=products, listing=listing)


def _last_listing_time(env):
    """The API's time of the newest listing that a finished run applied in
    full (see :func:`~.round.note_listing`), or None."""
    run = (
        env["stock.sync.run"]
        .sudo()
        .search([("listing_time", "!=", False), ("state", "=", "done")], order="date_end desc, id desc", limit=1)
    )
    return run.listing_time or None


def _give_up_unfinished(Run):
    """A round of changes that an earlier call left unfinished (out of time)
    ends without its listing's time: the next listing, asked since the last
    round that ended, lists its products again."""
    for run in Run.sudo().search([("trigger", "=", "changes"), ("state", "=", "running")]):
        run.listing_time = False
        run.message_post(
            body=_("Left unfinished: the next round of changes takes its products again."),
            subtype_xmlid="mail.mt_note",
        )
        run.with_env(Run.env)._finish()


def _since(server_time):
    """``server_time`` (RFC 3339) less :data:`SINCE_MARGIN`, in RFC 3339; None if unreadable."""
    if not server_time:
        return None
    try:
        moment = datetime.fromisoformat(server_time)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return (moment - SINCE_MARGIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
