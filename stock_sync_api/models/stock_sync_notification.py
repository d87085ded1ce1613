import logging
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import read_setting

_logger = logging.getLogger(__name__)

#: The scheduled action that syncs the notified products.
CRON_XMLID = "stock_sync_api.ir_cron_api_sync_notified"
#: In listing mode, the round of changes, which a notification triggers instead.
CHANGES_CRON_XMLID = "stock_sync_api.ir_cron_api_sync_changes"

#: Outcomes of a product that the run could not sync for good (another
#: synchronisation held it): it stays queued, to be synced again.
KEEP_QUEUED = ("busy", "moved")

#: How long a product that another synchronisation held waits before the
#: notified products' scheduled action tries it again.
BUSY_RETRY_DELAY = timedelta(seconds=30)

#: The rows waiting for a run: taken by none, or by one that has ended (its
#: end could not release them: they are synced again).
WAITING = SQL(
    "(run_id IS NULL OR run_id NOT IN (SELECT id FROM stock_sync_run WHERE trigger = 'notified' AND state = 'running'))"
)

#: How many times taking or releasing the queue is tried when a notification
#: changed the same rows at the same moment (a serialisation failure).
CONCURRENT_TRIES = 5


class StockSyncNotification(models.Model):
    """A product the stock API said changed, waiting to be synced.

    One row per product, however many notifications came for it: the queue
    never holds more rows than there are products. The notification route
    writes it in one SQL upsert and never touches the product's own row
    (which a running synchronisation may hold locked); the scheduled action
    ``stock_sync_api.ir_cron_api_sync_notified`` takes every row waiting as
    one run (``run_id``), and deletes those still its own once the run has
    ended. A notification for a product of a running run gives its row back
    to the queue (``run_id`` emptied), so that it is synced again after.
    """

    _name = "stock.sync.notification"
    _description = "Stock API Notified Product"
    _order = "received_at, id"
    _log_access = False

    product_id = fields.Many2one(
        "product.product", string="Product", required=True, readonly=True, ondelete="cascade"
    )
    received_at = fields.Datetime(
        string="Notified",
        required=True,
        readonly=True,
        help="When the notification came in that the product waits for (for a product another "
        "synchronisation held, when it is tried again).",
    )
    run_id = fields.Many2one(
        "stock.sync.run",
        string="Synchronisation",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The notified synchronisation that is syncing the product; empty while it waits for one.",
    )

    _product_id_unique = models.Constraint(
        "UNIQUE(product_id)",
        "A product is queued once, however many notifications came for it.",
    )

    # ------------------------------------------------------------------
    # The notification route's side
    # ------------------------------------------------------------------

    @api.model
    def _get_notifiable_domain(self):
        """The products a notification may queue: those a synchronisation takes
        (with an external ID, active, of an active company, not excluded)."""
        return Domain(self.env["product.product"]._get_api_sync_domain())

    @api.model
    def _queue(self, external_ids):
        """Queue the products with these external IDs that a synchronisation
        takes, and see that the scheduled action will sync them soon.

        Never syncs, and never writes a product's row nor waits for one: a
        running synchronisation may hold it locked, and the queue row's
        reference to it only takes the lock that a synchronisation's row locks
        allow (``KEY SHARE``). Nor does it lock the triggers that a running
        scheduled action deletes (see :meth:`_trigger_sync`). In listing mode
        nothing is queued: a round of changes is triggered, the listing saying
        what changed.

        :param external_ids: the external IDs a notification named
        :return: ``(accepted, left_out, unknown)``: how many of the distinct
            IDs were queued, are products that no synchronisation takes
            (archived, excluded), or are no product's
        """
        external_ids = sorted(set(external_ids))
        Product = self.env["product.product"].sudo()
        products = Product.search(
            self._get_notifiable_domain() & Domain("api_external_id", "in", external_ids), order="id"
        )
        left_out = 0
        if len(products) < len(external_ids):
            left_out = Product.with_context(active_test=False).search_count(
                [("api_external_id", "in", external_ids)]
            ) - len(products)
        if products and read_setting(self.env, "fetch_mode") == "listing":
            # The listing says what changed since its last round, the notified
            # products with the rest: a round of changes asks it at once.
            self._trigger_sync(CHANGES_CRON_XMLID)
        elif products:
            # Sorted IDs: two notifications lock their rows in the same order.
            # A product already waiting keeps its row as it is; one a run has
            # taken gets it back, to be synced again after that run.
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO stock_sync_notification AS queued (product_id, received_at)
                    SELECT id, %(now)s FROM unnest(%(ids)s::int[]) AS id
                        ON CONFLICT (product_id) DO UPDATE
                       SET received_at = EXCLUDED.received_at, run_id = NULL
                     WHERE queued.run_id IS NOT NULL OR queued.received_at > EXCLUDED.received_at
                    """,
                    now=fields.Datetime.now(),
                    ids=products.ids,
                )
            )
            self._trigger_sync()
        return len(products), left_out, len(external_ids) - len(products) - left_out

    @api.model
    def _trigger_sync(self, xmlid=CRON_XMLID, at=None):
        """Trigger the notified products' scheduled action (or the one named
        ``xmlid``), at ``at`` (now when not given), unless a trigger due by
        then waits already.

        A trigger waits until the scheduled action starts: then the cron
        worker deletes it, in a transaction that stays open while the action
        runs. Such a trigger no longer counts (the transaction deleting it
        has marked it, ``xmax``; it is read without locking it, so that
        nothing waits for anything): a product notified during a run is
        synced by the next one. However many notifications come in, at most
        one trigger waits (two at the very moment two notifications find none).
        """
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if not cron:
            _logger.warning("The scheduled action %s is missing: notified products wait for the hourly one", xmlid)
            return
        at = at or fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                SELECT 1
                  FROM ir_cron_trigger
                 WHERE cron_id = %(cron)s AND call_at <= %(at)s AND xmax = 0
                 LIMIT 1
                """,
                cron=cron.id,
                at=at,
            )
        )
        if not self.env.cr.fetchone():
            cron.sudo()._trigger(at)

    # ------------------------------------------------------------------
    # The scheduled action's side
    # ------------------------------------------------------------------

    @api.model
    def _take(self, start_run):
        """Take every product waiting, as one run.

        :param start_run: called with the products to sync, returns the run
        :return: the run, or None when no product waits (those waiting that no
            synchronisation takes any more are dropped from the queue)
        """
        return self._retry_concurrent(lambda: self._take_once(start_run))

    def _take_once(self, start_run):
        self.env.cr.execute(
            SQL(
                "SELECT product_id FROM stock_sync_notification"
                " WHERE %s AND received_at <= %s ORDER BY product_id",
                WAITING,
                fields.Datetime.now(),
            )
        )
        queued_ids = [row[0] for row in self.env.cr.fetchall()]
        if not queued_ids:
            return None
        Product = self.env["product.product"]
        products = Product.search(self._get_notifiable_domain() & Domain("id", "in", queued_ids), order="id")
        left_out_ids = sorted(set(queued_ids) - set(products.ids))
        if left_out_ids:
            _logger.info(
                "%d notified products are left out of the synchronisation (archived or excluded since)",
                len(left_out_ids),
            )
            self.env.cr.execute(
                SQL(
                    "DELETE FROM stock_sync_notification WHERE %s AND product_id = ANY(%s)",
                    WAITING,
                    left_out_ids,
                )
            )
        if not products:
            return None
        run = start_run(products)
        run.sudo().skipped_count = len(left_out_ids)
        run.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE stock_sync_notification SET run_id = %s WHERE %s AND product_id = ANY(%s)",
                run.id,
                WAITING,
                products.ids,
            )
        )
        return run

    @api.model
    def _release(self, run, outcomes):
        """After a call of the scheduled action for ``run``: the products
        another synchronisation held wait again (tried again a little later),
        and once the run has ended, the rows it took that no notification
        gave back meanwhile are deleted.

        :param outcomes: ``{product_id: SyncOutcome}`` of this call
        """
        kept = sorted(tid for tid, outcome in outcomes.items() if outcome.state in KEEP_QUEUED)

        def release():
            if kept:
                self.env.cr.execute(
                    SQL(
                        "UPDATE stock_sync_notification SET run_id = NULL, received_at = %s"
                        " WHERE run_id = %s AND product_id = ANY(%s)",
                        fields.Datetime.now() + BUSY_RETRY_DELAY,
                        run.id,
                        kept,
                    )
                )
            if run.state != "running":
                self.env.cr.execute(SQL("DELETE FROM stock_sync_notification WHERE run_id = %s", run.id))

        self._retry_concurrent(release)
        if kept:
            _logger.info(
                "Stock API synchronisation %s: %d notified products held by another synchronisation, "
                "tried again in %d seconds",
                run.name,
                len(kept),
                BUSY_RETRY_DELAY.total_seconds(),
            )

    @api.model
    def _trigger_when_queued(self):
        """See that the scheduled action runs again for the products still
        waiting: at once for those notified while it ran, later for those
        another synchronisation held."""
        self.env.cr.execute(SQL("SELECT min(received_at) FROM stock_sync_notification WHERE %s", WAITING))
        first = self.env.cr.fetchone()[0]
        if first:
            self._trigger_sync(at=max(first, fields.Datetime.now()))

    def _retry_concurrent(self, func):
        """Call ``func`` in a transaction of its own, again in a new one while
        a notification changing the same rows at the same moment makes it fail.

        Only called where the scheduled action has nothing left to commit:
        the transaction is rolled back before each new try.
        """
        for tries_left in reversed(range(CONCURRENT_TRIES)):
            try:
                with self.env.cr.savepoint(flush=False):
                    return func()
            except psycopg2.errors.SerializationFailure:
                if not tries_left:
                    raise
                _logger.info("A notification changed the queue meanwhile: trying again")
                self.env.cr.rollback()
                self.env.invalidate_all(flush=False)
        return None
