"""The one way into the engine.

Every entry point calls one function here: a button or a list action
(:func:`sync_now`), a run's Apply (:func:`sync_again`), the hourly round
(:func:`scheduled_round`), the round of changes (:func:`changes_round`) and the
notified run (:func:`notified_round`). Each chooses the products (through the
run model, which says which products a run has left), builds a
:class:`~.round.SyncRound` and runs it. The models keep two-line wrappers.
"""

import logging

from .changes import read_changes
from .round import SyncRound

_logger = logging.getLogger(__name__)


def sync_now(products, trigger, left_out):
    """Sync ``products`` (variants) at once, in one transaction, as a new run.

    :param trigger: ``manual`` (a button, a list action) or ``preview``
    :param left_out: the variants chosen that no synchronisation takes, counted
    :return: ``(run, {product_id: SyncOutcome})``
    """
    run = products.env["stock.sync.run"]._start(trigger, products, left_out=left_out)
    return run, SyncRound(run).sync(products)


def sync_again(run, products):
    """Sync a held or planned run's products again (Apply), in one transaction."""
    return SyncRound(run).sync(products)


def scheduled_round(env):
    """The hourly scheduled action's call: go on with the scheduled round (a
    new one when none is in progress), committing after each batch."""
    run, pending = env["stock.sync.run"]._get_scheduled_round()
    run.sudo().product_count = run.done_count + len(pending)
    if not env["ir.cron"]._commit_progress(remaining=len(pending)):
        return
    SyncRound(run, after_batch=_committing(env)).sync(pending)


def changes_round(env):
    """The round of changes' call (listing mode, every 5 minutes): the
    products the API's listing says changed since the last complete listing,
    as one run of trigger ``changes``; the whole catalog when there is no
    complete listing yet."""
    changes = read_changes(env)
    if changes is None:
        return
    if changes.full_round:
        scheduled_round(env)
        return
    run = env["stock.sync.run"]._start("changes", changes.products)
    SyncRound(run, after_batch=_committing(env), listing=changes.listing).sync(changes.products)


def notified_round(env):
    """The notified products' scheduled action's call: sync them as one run
    however many notifications came in, then leave queued only those notified
    again meanwhile (synced again after) or held by another synchronisation."""
    Run = env["stock.sync.run"]
    Queue = env["stock.sync.notification"]
    cron = env["ir.cron"]
    run = Run._get_notified_run()
    if run and not run._get_notified_pending():
        # Left running with every product handled (its worker stopped before
        # the run's end): it ends now, and the products notified since are
        # synced in this same call.
        _logger.warning(
            "Stock API synchronisation %s was left running with every product handled: it ends now", run.name
        )
        run._finish()
        cron._commit_progress()  # the run's end, before its products leave the queue
        Queue._release(run, {})
        cron._commit_progress()
        run = Run._get_notified_run()
    if run:
        pending = run._get_notified_pending()
        if not cron._commit_progress(remaining=len(pending)):
            return
        outcomes = SyncRound(run, after_batch=_committing(env)).sync(pending)
        cron._commit_progress()  # the run's end, before its products leave the queue
        Queue._release(run, outcomes)
    Queue._trigger_when_queued()


def _committing(env):
    """A scheduled action's ``after_batch``: commit the batch, tell the
    scheduler how many products it did, and whether the call has time left."""
    cron = env["ir.cron"]
    return lambda batch: cron._commit_progress(len(batch))
