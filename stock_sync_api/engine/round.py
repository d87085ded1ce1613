"""A round: the products of one run, synced batch after batch, with the
commit policy of whoever started it."""

import logging

from odoo import _
from odoo.exceptions import UserError
from odoo.tools import split_every

from .answers import FetchAhead
from .batch import SYNC_FIELDS, BatchSync, group_by_company
from .config import read_config
from .recorder import RunRecorder
from .types import SyncOutcome

_logger = logging.getLogger(__name__)


class SyncRound:
    """Syncs products in one run, one ``sync-cli`` run per batch, each batch
    of one company.

    :param run: the ``stock.sync.run`` the products are synced in
    :param after_batch: called with each batch once it is done. Given by
        the scheduled action, whose ``after_batch`` commits: when it returns
        a false value, the remaining batches are left for the next call (the
        run stays running). Without it, the whole round is one transaction.
    """

    def __init__(self, run, after_batch=None):
        run.ensure_one()
        self.run = run
        self.env = run.env
        self.after_batch = after_batch

    def sync(self, templates):
        """Sync ``templates``. Never raises for a product's failure: each
        product records its outcome; an unexpected error ends the run as
        failed. The run ends once every batch is done.

        :return: ``{template_id: SyncOutcome}`` of the products handled
        """
        if not templates:
            self.run._finish()
            return {}
        try:
            config = read_config(self.env)
        except UserError as exc:
            return self._not_configured(templates, exc.args[0])
        outcomes = {}
        try:
            batches = [
                (company, self.env["product.template"].browse(ids))
                for company, group in group_by_company(templates)
                for ids in split_every(config.batch_size, group.ids)
            ]
        except Exception as exc:  # noqa: BLE001 -- the run records what stopped it
            return self._failed(exc, templates)
        answers = FetchAhead(config.settings, [batch for _company, batch in batches], _prefetch)
        try:
            if self.after_batch is None:
                # One transaction: an unexpected error (not a product's, which
                # its batch records) leaves nothing of the round behind.
                try:
                    with self.env.cr.savepoint():
                        for index, (company, batch) in enumerate(batches):
                            outcomes.update(self._sync_batch(config, answers, index, company, batch))
                except Exception as exc:  # noqa: BLE001 -- the run records what stopped it
                    return self._failed(exc, templates)
            else:
                for index, (company, batch) in enumerate(batches):
                    try:
                        outcomes.update(self._sync_batch(config, answers, index, company, batch))
                    except Exception as exc:  # noqa: BLE001 -- the run records what stopped it
                        self.env.cr.rollback()  # back to the last batch committed
                        return self._failed(exc, templates)
                    # after_batch commits; what it raises (the worker
                    # stopping) is none of the run's business.
                    if not self.after_batch(batch):
                        return outcomes
        finally:
            answers.close()
        self.run._finish()
        return outcomes

    def _sync_batch(self, config, answers, index, company, batch):
        run = self.run.with_company(company)
        return BatchSync(run, config, answers, RunRecorder(run)).sync(index, batch)

    def _failed(self, error, templates):
        _logger.error("Stock API synchronisation %s failed", self.run.name, exc_info=error)
        self.run._fail(_("The synchronisation stopped on an unexpected error: %(error)s", error=error))
        message = _("Unexpected error during synchronisation: %(error)s", error=error)
        return {template.id: SyncOutcome("error", message) for template in templates}

    def _not_configured(self, templates, message):
        """End a run that cannot start (a setting is missing or wrong): each
        product says why, and the run fails, without a line per product."""
        _logger.warning(
            "Stock API synchronisation %s of %d products not run: %s", self.run.name, len(templates), message
        )
        outcomes = RunRecorder(self.run).record_not_run(templates, message)
        self.run._fail(_("The synchronisation could not run: %(error)s", error=message))
        return outcomes


def _prefetch(templates):
    templates.fetch(SYNC_FIELDS)
