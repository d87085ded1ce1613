"""A round: the products of one run, synced batch after batch, with the
commit policy of whoever started it."""

import logging
import time

from odoo import _
from odoo.exceptions import ConcurrencyError, UserError
from odoo.tools import split_every

from ..synccli import fetch, list_stock
from .answers import FetchAhead, ListingAnswers
from .batch import group_by_company, prefetch
from .config import read_config
from .locations import make_batch_sync
from .reasons import word_listing_reason
from .recorder import RunRecorder
from .types import SyncOutcome

_logger = logging.getLogger(__name__)


#: The triggers of runs that take only what the API says changed.
CHANGE_DRIVEN = ("changes", "notified")

#: The triggers of runs that, in listing mode, ask the API for their own
#: products only (when that takes fewer requests than the whole listing).
ASKED_FOR_THEMSELVES = ("manual", "preview", "notified")

#: How many times, in all, a scheduled round tries a product whose stock
#: keeps moving while it is applied, each time in a new transaction.
MOVED_TRIES = 4

#: Pause before each new try of the products that moved, in seconds: the
#: warehouse's own transaction is done by then.
MOVED_PAUSE = 0.05


class SyncRound:
    """Syncs products in one run, one ``sync-cli`` run per batch, each batch
    of one company.

    :param run: the ``stock.sync.run`` the products are synced in
    :param after_batch: called with the products of each batch once it is
        done (all but those to try again). Given by the scheduled actions,
        whose ``after_batch`` commits: when it returns a false value (the
        call's time is spent), what is left of the round is left for the next
        call (the run stays running); a round with nothing left ends in this
        call. Without it, the whole round is one transaction.

    A product whose stock the warehouse moves while it is applied (another
    transaction committed a move of it after this one began: PostgreSQL
    refuses the update) is tried again in a new transaction, comparing the
    answer of this round with the on-hand of that moment:

    - in a round that commits, right after its batch's commit, up to
      :data:`MOVED_TRIES` times in all, then it ends in error, saying that
      its stock kept moving;
    - in a round of one transaction (a button, a list action, Apply), the
      whole request is tried again by Odoo (``odoo.service.model.retrying``,
      up to 5 times): a new transaction can only come from the request's
      start, and what the person asked for is then done as a whole, with
      fresh answers of the API.
    """

    def __init__(self, run, after_batch=None, listing=None):
        run.ensure_one()
        self.run = run
        self.env = run.env
        self.after_batch = _propagating(after_batch) if after_batch is not None else None
        #: The API's listing this round syncs from, when read already (a
        #: round of changes); in listing mode a round reads it otherwise.
        self.listing = listing
        #: ``{product_id: SyncOutcome}`` of the products (variants) handled.
        self.outcomes = {}
        self._unchanged = None

    def sync(self, products):
        """Sync ``products``: variants, or templates (every variant of theirs
        with an external ID). Never raises for a product's failure: each
        product records its outcome; an unexpected error ends the run as
        failed. The run ends once every batch is done.

        :return: ``{product_id: SyncOutcome}`` of the variants handled
        :raises ConcurrencyError: in a round of one transaction, a product's
            stock moved while it was applied (see the class)
        """
        products = as_variants(products)
        if not products:
            self.run._finish()
            return {}
        try:
            config = read_config(self.env)
        except UserError as exc:
            return self._not_configured(products, exc.args[0])
        try:
            batches = [
                (company, self.env["product.product"].browse(ids))
                for company, group in group_by_company(products)
                for ids in split_every(config.batch_size, group.ids)
            ]
        except Exception as exc:  # noqa: BLE001 -- the run records what stopped it
            return self._failed(exc, products)
        fetched = [batch for _company, batch in batches]
        if config.mode == "listing" and self._asks_for_these_only(config, products):
            if config.listing.ids_param:
                answers = self._listing_answers(config, products, by_ids=True)
            else:
                answers = FetchAhead(config.settings, fetched, prefetch)
        elif config.mode == "listing":
            answers = self._listing_answers(config, products)
        else:
            answers = FetchAhead(config.settings, fetched, prefetch)
        if answers is None:
            message = self.run.failure_message
            return {product.id: SyncOutcome("error", message) for product in products}
        try:
            if self.after_batch is None:
                done = self._sync_in_one_transaction(config, answers, batches, products)
            else:
                done = self._sync_committing(config, answers, batches, products)
        finally:
            answers.close()
        if done:
            self.run._finish()
        return self.outcomes

    def _asks_for_these_only(self, config, products):
        """In listing mode, whether a click, a preview or a notified run asks
        the API for its products only: with the listing's IDs parameter,
        else the per-product endpoint, when the API has one and that takes
        no more requests than reading the whole listing."""
        if self.listing is not None or self.run.trigger not in ASKED_FOR_THEMSELVES:
            return False
        listing = config.listing
        if listing.ids_param:
            requests = listing.requests_by_ids(len(products))
        elif config.settings.endpoint:
            requests = len(products)
        else:
            return False
        Product = self.env["product.product"].sudo()
        return requests <= listing.requests(Product.search_count(Product._get_api_sync_domain()))

    def _listing_answers(self, config, products, by_ids=False):
        """The answers of the API's listing, read once for the whole round
        (for what is left of it, in a round resumed by a later call: never
        the answers of an earlier call); with ``by_ids``, the listing of
        these products only.

        :return: a :class:`ListingAnswers`, or None when the listing is
            incomplete: the run then fails and nothing is applied, every
            product keeping its stock and its status (a listing cut in the
            middle is not a catalog that lost its products)
        """
        listing = self.listing
        if listing is None:
            prefetch(products)
        if listing is None and by_ids:
            listing = list_stock(config.settings, config.listing, external_ids=products.mapped("api_external_id"))
        elif listing is None:
            listing = list_stock(config.settings, config.listing, expected=self.run.done_count + len(products))
        if not listing.complete:
            _logger.warning("Stock API synchronisation %s: the listing is incomplete: %s", self.run.name, listing.error)
            self.run._fail(
                _(
                    "The stock API's listing is incomplete, nothing was applied: %(error)s",
                    error=word_listing_reason(self.env, listing.reason, listing.values) or listing.error,
                )
            )
            return None
        note_listing(self.run, listing)
        return ListingAnswers(listing)

    def _sync_in_one_transaction(self, config, answers, batches, products):
        """:return: whether the run may end (else it failed)"""
        moved = {}
        try:
            # An unexpected error (not a product's, which its batch records)
            # leaves nothing of the round behind.
            with self.env.cr.savepoint():
                for index, (company, batch) in enumerate(batches):
                    moved.update(self._sync_batch(config, answers, index, company, batch))
        except Exception as exc:  # noqa: BLE001 -- the run records what stopped it
            self.outcomes = self._failed(exc, products)
            return False
        if moved:
            raise _MovedError(moved)
        return True

    def _sync_committing(self, config, answers, batches, products):
        """:return: whether the run may end (else it failed, or the rest is left for later)

        A call out of time leaves for later only what is left to do: after the
        last batch, with no product to try again, the run ends in this call
        (else the scheduler, told that nothing remains, would not call again
        before its next interval, and the run would stay running until then).
        """
        last = len(batches) - 1
        for index, (company, batch) in enumerate(batches):
            try:
                moved = self._sync_batch(config, answers, index, company, batch)
                # after_batch commits; what it raises (the worker stopping)
                # is none of the run's business. Products that moved are not
                # done yet: told as such, a call out of time is taken up again
                # at once, and its next call syncs them.
                time_left = self.after_batch(_done(batch, moved))
                if time_left and moved:
                    time_left, moved = self._sync_moved(config, company, moved)
            except _AfterBatchError as exc:
                raise exc.__cause__ from None
            except Exception as exc:  # noqa: BLE001 -- the run records what stopped it
                self.env.cr.rollback()  # back to the last batch committed
                self.outcomes = self._failed(exc, products)
                return False
            if not time_left and (moved or index < last):
                return False
        return True

    def _sync_batch(self, config, answers, index, company, batch, tries=None):
        """Sync one batch; :return: ``{external_id: FetchResult}`` of its products that moved."""
        run = self.run.with_company(company)
        batch_sync = make_batch_sync(run, config, answers, RunRecorder(run), tries, self._unchanged_elsewhere())
        self.outcomes.update(batch_sync.sync(index, batch))
        return batch_sync.moved

    def _unchanged_elsewhere(self):
        """For a run of what changed (trigger ``changes`` or ``notified``):
        the products of the catalog it does not take, which the API says did
        not change (counted once, for the whole run)."""
        if self.run.trigger not in CHANGE_DRIVEN:
            return 0
        if self._unchanged is None:
            Product = self.env["product.product"].sudo()
            self._unchanged = max(Product.search_count(Product._get_api_sync_domain()) - self.run.product_count, 0)
        return self._unchanged

    def _sync_moved(self, config, company, moved):
        """Try the products that moved again, each time in a new transaction.

        :param moved: ``{external_id: FetchResult}``, the answers of this round
        :return: ``(time_left, moved)``: whether the call has time left, and
            the products still to try again (none once their tries are spent)
        """
        for tries in range(2, MOVED_TRIES + 1):
            time.sleep(MOVED_PAUSE * tries)
            products = self.env["product.product"].search([("api_external_id", "in", list(moved))], order="id")
            last = tries == MOVED_TRIES
            answers = _KnownAnswers(moved, config.settings)
            moved = self._sync_batch(config, answers, None, company, products, tries if last else None)
            if not self.after_batch(_done(products, moved)):
                return False, moved
            if not moved:
                break
        return True, moved

    def _failed(self, error, products):
        _logger.error("Stock API synchronisation %s failed", self.run.name, exc_info=error)
        self.run._fail(_("The synchronisation stopped on an unexpected error: %(error)s", error=error))
        message = _("Unexpected error during synchronisation: %(error)s", error=error)
        return {product.id: SyncOutcome("error", message) for product in products}

    def _not_configured(self, products, message):
        """End a run that cannot start (a setting is missing or wrong): each
        product says why, and the run fails, without a line per product."""
        _logger.warning(
            "Stock API synchronisation %s of %d products not run: %s", self.run.name, len(products), message
        )
        outcomes = RunRecorder(self.run).record_not_run(products, message)
        self.run._fail(_("The synchronisation could not run: %(error)s", error=message))
        return outcomes


def _done(products, moved):
    """Those of ``products`` that are done: all but those that moved (``{external_id: ...}``)."""
    return products.filtered(lambda product: product.api_external_id not in moved) if moved else products


def note_listing(run, listing):
    """Keep the API's time of the first listing a scheduled round or a round
    of changes applies (a round resumed by a later call reads the listing
    again). A manual run applies a few products of the listing only: what
    changed since, the next round of changes must still ask."""
    run.ensure_one()
    if listing.server_time and not run.listing_time and run.trigger in ("cron", "changes"):
        run.sudo().listing_time = listing.server_time


def as_variants(records):
    """The variants that a synchronisation of ``records`` takes: ``records``
    themselves, or of templates, every variant with an external ID (archived
    ones of an archived template included: the sync says why it leaves them out)."""
    if records._name == "product.product":
        return records
    variants = records.with_context(active_test=False).product_variant_ids
    return variants.filtered(
        lambda variant: variant.api_external_id and (variant.active or not variant.product_tmpl_id.active)
    )


class _KnownAnswers:
    """The answers a round already has (of the products that moved), with a
    ``sync-cli`` run for a product whose external ID changed since."""

    def __init__(self, results, settings):
        self.results = results
        self.settings = settings

    def __call__(self, _index, products):
        external_ids = [product.api_external_id for product in products]
        missing = [external_id for external_id in external_ids if external_id not in self.results]
        results = dict(self.results)
        if missing:
            results.update(fetch(missing, self.settings))
        return {external_id: results[external_id] for external_id in external_ids}


class _AfterBatchError(Exception):
    """What ``after_batch`` raised, as its ``__cause__``: never the run's failure."""


def _propagating(after_batch):
    def call(batch):
        try:
            return after_batch(batch)
        except Exception as exc:
            raise _AfterBatchError() from exc

    return call


class _MovedError(ConcurrencyError):
    """The stock of products moved in another transaction while a round of
    one transaction applied them: Odoo tries the whole request again."""

    def __init__(self, moved):
        super().__init__(f"the stock of {len(moved)} products moved while they were synchronised")
