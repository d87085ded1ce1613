"""The one way into the engine.

Every entry point calls one function here: a button or a list action
(:func:`sync_now`), a run's Apply (:func:`sync_again`), the hourly round
(:func:`scheduled_round`), the round of changes (:func:`changes_round`) and the
notified run (:func:`notified_round`). Each chooses the run to go on with and
its products not handled yet (:func:`scheduled_run`, :func:`pending_products`),
builds a :class:`~.round.SyncRound` and runs it. The models keep two-line
wrappers; which products a synchronisation takes at all is the product
model's (``_get_api_sync_domain``).
"""

import logging

from odoo.fields import Domain

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


def run_products(run):
    """The products ``run`` covers (to sync them again): those chosen for a
    manual run or a preview, every product with an external ID of the user's
    companies for a scheduled one."""
    run.ensure_one()
    env = run.env
    Product = env["product.product"].with_context(allowed_company_ids=env.user.company_ids.ids)
    if run.trigger == "cron":
        return Product.search(Product._get_api_sync_domain(), order="id")
    return Product.browse(run.product_ids.ids).exists().filtered("api_external_id")


def scheduled_round(env):
    """The hourly scheduled action's call: go on with the scheduled round (a
    new one when none is in progress), committing after each batch."""
    run, pending = _scheduled_round(env)
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
    Queue = env["stock.sync.notification"]
    cron = env["ir.cron"]
    run = _notified_run(env)
    if run and not pending_products(run):
        # The products notified since are synced in this same call.
        _end_left_running(run)
        cron._commit_progress()  # the run's end, before its products leave the queue
        Queue._release(run, {})
        cron._commit_progress()
        run = _notified_run(env)
    if run:
        pending = pending_products(run)
        if not cron._commit_progress(remaining=len(pending)):
            return
        outcomes = SyncRound(run, after_batch=_committing(env)).sync(pending)
        cron._commit_progress()  # the run's end, before its products leave the queue
        Queue._release(run, outcomes)
    Queue._trigger_when_queued()


def scheduled_run(env):
    """The scheduled round in progress, or a new one: a round is one run,
    however many calls of the scheduled action it takes."""
    return _running(env, "cron") or env["stock.sync.run"]._start("cron")


def pending_products(run):
    """Products of ``run`` that it has not handled yet, and that a
    synchronisation still takes: of the whole catalog for a scheduled round,
    of the products chosen for any other run.

    A product the run could not lock has a line, but is not marked as handled
    by it (another transaction held its row).
    """
    run.ensure_one()
    listed = run.env["stock.sync.run.line"].sudo().search([("run_id", "=", run.id)]).product_id
    Product = run.env["product.product"]
    domain = (
        Product._get_api_sync_domain()
        & (Domain("api_last_run_id", "=", False) | Domain("api_last_run_id", "!=", run.id))
        & Domain("id", "not in", listed.ids)
    )
    if run.trigger != "cron":
        domain &= Domain("id", "in", run.product_ids.ids)
    return Product.search(domain, order="id")


def _scheduled_round(env):
    """The scheduled run to go on with, and its products not handled yet.

    A run found running with every product handled ends now, and a new round
    starts in the same call: no round is lost.

    :return: ``(run, pending)``
    """
    run = scheduled_run(env)
    _count_left_out(run)
    pending = pending_products(run)
    if run.done_count and not pending:
        _end_left_running(run)
        run = env["stock.sync.run"]._start("cron")
        _count_left_out(run)
        pending = pending_products(run)
    return run, pending


def _notified_run(env):
    """The notified run in progress (one call of the scheduled action ran out
    of time), or a new one of every product notified so far; None when no
    product waits."""
    Run = env["stock.sync.run"]
    return _running(env, "notified") or env["stock.sync.notification"]._take(
        lambda products: Run._start("notified", products)
    )


def _running(env, trigger):
    """The newest run of ``trigger`` still running (or an empty recordset)."""
    run = env["stock.sync.run"].sudo().search(
        [("trigger", "=", trigger), ("state", "=", "running")], order="id desc", limit=1
    )
    return run.with_env(env)


def _count_left_out(run):
    """Count on the scheduled ``run``, and mark as such, the products with an
    external ID that the scheduled round leaves out (archived, or of an
    archived company)."""
    run.ensure_one()
    Product = run.env["product.product"].with_context(active_test=False)
    left_out = Product.search(Product._get_api_sync_left_out_domain())
    left_out._api_sync_mark_left_out()
    run.sudo().skipped_count = len(left_out)


def _end_left_running(run):
    """End ``run``, left running with every product handled: its worker
    stopped between the last batch's commit and the run's end."""
    _logger.warning("Stock API synchronisation %s was left running with every product handled: it ends now", run.name)
    run._finish()


def _committing(env):
    """A scheduled action's ``after_batch``: commit the batch, tell the
    scheduler how many products it did, and whether the call has time left."""
    cron = env["ir.cron"]
    return lambda batch: cron._commit_progress(len(batch))
