"""One batch of one company, in sequence: refuse what cannot be synced
(:mod:`.syncable`), take the API's answers, lock, convert, compare, judge
the brake (:mod:`.brake`), apply or plan, record."""

import logging
import time
from collections import defaultdict
from contextlib import contextmanager

from odoo import _
from odoo.exceptions import ConcurrencyError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import mute_logger

from . import messages
from .brake import Brake
from .syncable import SyncableBatch
from .types import StockChange, SyncOutcome

_logger = logging.getLogger(__name__)

#: What a synchronisation reads of each variant, and of its product:
#: fetched alone, rather than with every other column as reading one field does.
SYNC_FIELDS = ["api_external_id", "product_tmpl_id"]
TEMPLATE_SYNC_FIELDS = ["api_uom_id", "uom_id", "is_storable", "tracking", "company_id"]

#: The phases of a batch, whose durations are logged at DEBUG level.
SYNC_PHASES = ("fetch", "compare", "apply", "bookkeeping")


class PhaseTimer:
    """Adds up the wall time a batch spends in each of :data:`SYNC_PHASES`."""

    def __init__(self):
        self.seconds = dict.fromkeys(SYNC_PHASES, 0.0)

    @contextmanager
    def __call__(self, phase):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start


class BatchSync(SyncableBatch):
    """Syncs the batches of one run, each of one company (``run.env.company``).

    :param run: the ``stock.sync.run``, in the batch's company
    :param config: the run's :class:`~.types.SyncConfig`
    :param answers: where the API's answers come from (``answers(index, products)``)
    :param recorder: the run's :class:`~.recorder.RunRecorder`
    :param unchanged_elsewhere: products the API says did not change, that
        the brake counts as compared (a run of what changed: see :class:`~.brake.Brake`)
    :param tries: how many times these products have been tried in this
        round, this time included, when this is their last try: a product
        whose stock moves again then ends in error. None: a product whose
        stock moved while it was applied is left ``moved``, to be tried again
        in a later transaction (see :attr:`moved`).
    """

    def __init__(self, run, config, answers, recorder, tries=None, unchanged_elsewhere=0):
        self.run = run
        self.env = run.env
        self.config = config
        self.answers = answers
        self.recorder = recorder
        self.tries = tries
        self.brake = Brake(run, config.brake, unchanged_elsewhere)
        #: ``{external_id: FetchResult}``: the answers of the products that
        #: moved, to be tried again with the same answers.
        self.moved = {}

    def sync(self, index, products):
        """Sync batch ``index`` (``products``, variants). Never raises for a
        product's failure, nor for an unexpected error of the batch: its
        products record it.

        :return: ``{product_id: SyncOutcome}``
        """
        try:
            with self.env.cr.savepoint():
                return self._sync(index, products)
        except Exception as exc:  # noqa: BLE001 -- a batch must never stop the others
            _logger.exception("Stock API sync of products %s failed", products.ids)
            return self.recorder.record_failure(
                products, _("Unexpected error during synchronisation: %(error)s", error=exc)
            )

    def _sync(self, index, products):
        """Do nothing per product that can be done for the whole batch at once.

        No row is locked while the API is asked: the products are locked once
        the answers are in, and a warehouse operation never waits on the API.
        How long each phase took is logged at DEBUG level, with the durations
        in the record's ``api_sync_timings`` (``{phase: seconds}``).
        """
        timer = PhaseTimer()
        with timer("compare"):
            prefetch(products)
            outcomes = self._refusals(products)
            to_fetch = products.filtered(lambda p: p.id not in outcomes)
            location = None
            if to_fetch:
                try:
                    location = self._target()
                except UserError as exc:
                    outcomes.update({product.id: SyncOutcome("error", exc.args[0]) for product in to_fetch})
                    to_fetch = to_fetch.browse()

        with timer("fetch"):
            results = self.answers(index, to_fetch)

        with timer("compare"):
            # Referencing stays allowed: run lines of another sync may point at a product.
            locked = products._api_sync_lock()
            busy = SyncOutcome("busy", messages.busy_message(self.env))
            outcomes.update((product.id, busy) for product in products - locked)
            quantities = self._quantities(to_fetch & locked, results, outcomes)
            # On hand is read once the answers are in: stock that moved meanwhile counts.
            changes = self._compare(quantities, location, outcomes)
            applies = self.run._applies() and not self.brake.holds(changes, len(quantities))

        with timer("apply"):
            outcomes.update(self._apply(changes, location) if applies else self._plan(changes))
            self.moved = {
                product.api_external_id: results[product.api_external_id]
                for product in products
                if outcomes[product.id].state == "moved"
            }

        with timer("bookkeeping"):
            self.recorder.record_batch(products, outcomes, location)
            # Written now rather than when the batch's savepoint is released,
            # so that the time is counted here.
            self.env.flush_all()

        _logger.debug(
            "Stock API sync of a batch of %d products (%d changed): %s",
            len(products),
            len(changes),
            ", ".join(f"{phase} {seconds:.3f} s" for phase, seconds in timer.seconds.items()),
            extra={"api_sync_timings": timer.seconds},
        )
        return outcomes

    def _target(self):
        """The location the batch's products are synced into: their company's
        sync location (a company that maps the API's locations has none:
        see :mod:`.locations`).

        :raises UserError: the company has no location to sync into
        """
        return self.env.company._get_stock_sync_location()

    # ------------------------------------------------------------------
    # Compare
    # ------------------------------------------------------------------

    def _compare(self, quantities, location, outcomes):
        """Compare each product's API quantity with its on-hand at ``location``;
        record the outcome of those already up to date in ``outcomes``.

        :param quantities: ``{product: quantity}``
        :return: ``{product: StockChange}`` of the others
        """
        if not quantities:
            return {}
        products = self.env["product.product"].concat(*quantities)
        on_hand = self.env["stock.quant"]._get_api_sync_on_hand(products, location)
        up_to_date = SyncOutcome("ok", _("Up to date: on hand matches the stock API."))
        changes = {}
        for product, quantity in quantities.items():
            before = on_hand[product]
            if holds(product, before, quantity):
                outcomes[product.id] = up_to_date
            else:
                changes[product] = StockChange(before, quantity)
        return changes

    # ------------------------------------------------------------------
    # Apply or plan
    # ------------------------------------------------------------------

    def _plan(self, changes):
        """Outcomes of changes found and not applied (a preview, a held run)."""
        return {
            product.id: SyncOutcome("planned", messages.change_message(product, change, applied=False), change)
            for product, change in changes.items()
        }

    def _apply(self, changes, location):
        """Set each changed product's on-hand to its API quantity.

        :param changes: ``{product: StockChange}``
        :return: ``{product_id: SyncOutcome}``
        """
        if not changes:
            return {}
        if not self.env.user.has_group("stock.group_stock_user"):
            message = _(
                "The user %(user)s who runs the synchronisation is not an Inventory user: no stock can be adjusted.",
                user=self.env.user.name,
            )
            return {product.id: SyncOutcome("error", message, change) for product, change in changes.items()}
        return self._adjust(changes, location)

    def _adjust(self, changes, location):
        """Apply ``{product: StockChange}`` as one inventory adjustment.

        Should it fail as a whole, each half is tried on its own, down to the
        product at fault, so that one product's problem holds back neither
        the others nor the batch (a product that moved meanwhile costs a few
        adjustments, not one per product).
        """
        try:
            # A refused update is said below, with the product (the
            # database's own log line would be an error without one).
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                moves = self._apply_inventory(changes, location)
        except Exception as exc:  # noqa: BLE001 -- isolate the faulty product below
            if len(changes) == 1:
                [(product, change)] = changes.items()
                if is_concurrency_error(exc):
                    return {product.id: self._moved(product, change, exc)}
                _logger.warning(
                    "Stock API sync could not adjust product %r (external ID %r): %s",
                    product.display_name,
                    product.api_external_id,
                    exc,
                )
                message = _("Odoo could not apply the inventory adjustment: %(error)s", error=exc)
                return {product.id: SyncOutcome("error", message, change)}
            items = list(changes.items())
            half = len(items) // 2
            outcomes = self._adjust(dict(items[:half]), location)
            outcomes.update(self._adjust(dict(items[half:]), location))
            return outcomes
        return {product.id: self._applied(product, change, moves) for product, change in changes.items()}

    def _apply_inventory(self, changes, location):
        """Apply ``changes`` at ``location`` as one inventory adjustment.

        :return: the moves made, as :meth:`_applied` reads them
        """
        return self.env["stock.quant"]._api_sync_apply_inventory(changes, location)

    def _applied(self, product, change, moves):
        """The outcome of ``product``'s change, applied by ``moves``."""
        move = moves.get(product)
        return SyncOutcome("ok", messages.change_message(product, change), change, move.id if move else None)

    def _moved(self, product, change, error):
        """The outcome of a product whose stock another transaction moved
        while this one applied it (PostgreSQL refused the update: this
        transaction's snapshot is older than the other's commit)."""
        if self.tries is None:
            _logger.info(
                "Stock API sync of product %r (external ID %r): its stock moved meanwhile, tried again later: %s",
                product.display_name,
                product.api_external_id,
                error,
            )
            return SyncOutcome("moved", "", change)
        _logger.warning(
            "Stock API sync of product %r (external ID %r): its stock kept moving, %d tries",
            product.display_name,
            product.api_external_id,
            self.tries,
        )
        message = _(
            "Its stock kept moving in Odoo while it was synchronised (%(tries)s tries): "
            "it will be synchronised in the next round.",
            tries=self.tries,
        )
        return SyncOutcome("error", message, change)


def is_concurrency_error(error):
    """Whether ``error`` is another transaction's doing (a serialization
    failure, a lock not available, a deadlock): the same work succeeds in a
    new transaction."""
    return isinstance(error, (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, ConcurrencyError))


def holds(product, on_hand, quantity):
    """Whether ``on_hand`` is ``quantity`` to the precision of ``product``'s
    unit. Most products hold exactly what the API says: the unit's rounding is
    asked only when they differ."""
    return on_hand == quantity or product.product_tmpl_id.uom_id.compare(on_hand, quantity) == 0


def prefetch(products):
    """Read what the synchronisation needs of ``products`` (variants) and of
    their templates, in one query each."""
    products.fetch(SYNC_FIELDS)
    products.product_tmpl_id.fetch(TEMPLATE_SYNC_FIELDS)


def group_by_company(products):
    """``[(company, products)]``: the company each variant is counted in (its
    product's, or the current one for a product shared by all companies), in
    the order of ``products``."""
    env = products.env
    # One grouped query: reading each product's company costs more than the
    # rest of an unchanged product's sync.
    position = {product_id: index for index, product_id in enumerate(products.ids)}
    groups = defaultdict(list)
    Product = products.sudo().with_context(active_test=False)
    for company, ids in Product._read_group([("id", "in", products.ids)], ["company_id"], ["id:array_agg"]):
        groups[company.with_env(env) or env.company].extend(ids)
    ordered = sorted(groups.items(), key=lambda group: min(position[i] for i in group[1]))
    return [(company, products.browse(sorted(ids, key=position.__getitem__))) for company, ids in ordered]
