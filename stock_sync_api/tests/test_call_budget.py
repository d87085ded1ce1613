"""A call of a scheduled action has a time budget (Odoo's scheduler gives each
call about 10 s, ``MIN_TIME_PER_JOB``). A round whose last batch ends past it
still ends in that call, and a run left running with nothing remaining never
costs a round.

The budget is made short here (the scheduler's own constant, patched: a
10-second call cannot be waited for in every test), and the API answers
slowly for real (mock-api ``--latency-ms``, one request at a time), so that
the last batch crosses it as a catalog of a few thousand products does.
"""

from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL

from .common import StockSyncApiCase, StockSyncNotifyMixin, set_api_quantity

#: The API's answer time, in milliseconds, one request at a time: a batch of
#: the three products below takes about 1.5 s.
LATENCY_MS = 500

#: The call's budget in these tests, in seconds: less than one batch.
BUDGET = 1.0

BUDGET_PATCH = "odoo.addons.base.models.ir_cron.MIN_TIME_PER_JOB"

PRODUCTS = [
    {"product_id": "RB-01", "quantity": "2"},
    {"product_id": "RB-02", "quantity": "3"},
    {"product_id": "RB-03", "quantity": "4"},
]

CHANGES_CRON = "stock_sync_api.ir_cron_api_sync_changes"


@tagged("post_install", "-at_install")
class TestCallBudget(StockSyncNotifyMixin, StockSyncApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        cls.api_url = cls._start_mock_api(PRODUCTS, "--latency-ms", str(LATENCY_MS))
        cls._set_params(base_url=cls.api_url, concurrency=1, batch_size=100, timeout=5)
        cls.notify_cron = cls.env.ref(cls.NOTIFY_CRON).sudo()

    def setUp(self):
        super().setUp()
        self.products = {record["product_id"]: self._make_product(record["product_id"]) for record in PRODUCTS}
        budget = patch(BUDGET_PATCH, BUDGET)
        budget.start()
        self.addCleanup(budget.stop)

    def _runs(self, trigger):
        return self.env["stock.sync.run"].sudo().search([("trigger", "=", trigger)], order="id")

    def _last_progress(self, xmlid):
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.progress"].sudo().search([("cron_id", "=", cron.id)], order="id desc", limit=1)

    def test_scheduled_round_ends_in_the_call_its_last_batch_crosses_the_budget(self):
        """The three calls of the hourly action, the API changing RB-01 between
        the first and the second: each call syncs, and each run ends."""
        rb01 = self.products["RB-01"]
        self.assertIs(self._run_cron(), True)
        first = self._runs("cron")
        self.assertEqual(len(first), 1)
        self.assertEqual((first.state, first.done_count, first.product_count), ("done", 3, 3))
        self.assertTrue(first.date_end)
        self.assertEqual(self._on_hand(rb01), 2)
        self.assertEqual(self._last_progress("stock_sync_api.ir_cron_api_sync").remaining, 0)

        set_api_quantity(self.api_url, "RB-01", 5)
        self.assertIs(self._run_cron(), True)
        second = self._runs("cron") - first
        self.assertEqual(len(second), 1)
        self.assertEqual((second.state, second.done_count, second.changed_count), ("done", 3, 1))
        self.assertEqual(self._on_hand(rb01), 5)

        self.assertIs(self._run_cron(), True)
        runs = self._runs("cron")
        self.assertEqual(len(runs), 3)
        self.assertEqual(set(runs.mapped("state")), {"done"})

    def test_held_round_alerts_in_the_call_its_last_batch_crosses_the_budget(self):
        """A round the brake holds ends held, and alerts, in the same call."""
        for template in self.products.values():
            self.env["stock.quant"].sudo()._update_available_quantity(template.product_variant_id, self.location, 50)
        self._set_params(hold_min_products=1, hold_change_percent=50)
        self._run_cron()
        run = self._runs("cron")
        self.assertEqual(run.state, "held")
        alerts = run.message_ids.filtered(lambda message: "needs attention" in (message.subject or ""))
        self.assertEqual(len(alerts), 1)
        self.assertEqual(self._on_hand(self.products["RB-01"]), 50)

    def test_round_of_changes_ends_in_the_call_its_last_batch_crosses_the_budget(self):
        # One record a page: the full round's listing takes longer than the budget.
        self._set_params(fetch_mode="listing", listing_page_size=1)
        self._run_cron()
        full = self._runs("cron")
        self.assertEqual(full.state, "done")
        self.assertTrue(full.listing_time)

        set_api_quantity(self.api_url, "RB-02", 9)
        # The listing is read before the batches: a budget spent at once
        # makes the (only) batch cross it.
        with patch(BUDGET_PATCH, 0):
            self.assertIs(self._run_cron(CHANGES_CRON), True)
        changes = self._runs("changes")
        self.assertEqual(len(changes), 1)
        self.assertEqual(changes.state, "done")
        # Its listing's time is kept: the next round of changes asks since then.
        self.assertTrue(changes.listing_time)
        self.assertEqual(self._on_hand(self.products["RB-02"]), 9)

    def test_notified_run_ends_in_the_call_its_last_batch_crosses_the_budget(self):
        self.env["stock.sync.notification"].sudo()._queue(["RB-01", "RB-02", "RB-03"])
        self.assertIs(self._run_notified_cron(), True)
        run = self._notified_runs()
        self.assertEqual(len(run), 1)
        self.assertEqual((run.state, run.done_count), ("done", 3))
        self.assertEqual(self._on_hand(self.products["RB-03"]), 4)
        # Its products left the queue with its end.
        self.assertFalse(self._queued())

    def test_scheduled_run_left_running_with_nothing_remaining_ends_and_a_new_round_syncs(self):
        """A database from before the fix, or a worker killed between the last
        batch's commit and the run's end: the next call ends that run AND
        syncs a new round."""
        self._run_cron()
        stale = self._runs("cron")
        stale.write({"state": "running", "date_end": False, "issue": False})
        set_api_quantity(self.api_url, "RB-01", 6)
        self.assertIs(self._run_cron(), True)
        self.assertEqual(stale.state, "done")
        new = self._runs("cron") - stale
        self.assertEqual(len(new), 1)
        self.assertEqual((new.state, new.done_count, new.changed_count), ("done", 3, 1))
        self.assertEqual(self._on_hand(self.products["RB-01"]), 6)
        self.assertEqual(self.products["RB-01"].api_last_run_id, new)

    def test_notified_run_left_running_with_nothing_remaining_ends_and_the_next_is_synced(self):
        Queue = self.env["stock.sync.notification"].sudo()
        Queue._queue(["RB-01"])
        self._run_notified_cron()
        stale = self._notified_runs()
        self.assertEqual(stale.state, "done")
        # As a worker killed before the run's end leaves it: running, its row still taken.
        stale.write({"state": "running", "date_end": False, "issue": False})
        self.env.cr.execute(
            SQL(
                "INSERT INTO stock_sync_notification (product_id, received_at, run_id) VALUES (%s, now(), %s)",
                self.products["RB-01"].product_variant_id.id,
                stale.id,
            )
        )
        set_api_quantity(self.api_url, "RB-03", 8)
        Queue._queue(["RB-03"])
        self.assertIs(self._run_notified_cron(), True)
        self.assertEqual(stale.state, "done")
        new = self._notified_runs() - stale
        self.assertEqual(len(new), 1)
        self.assertEqual((new.state, new.product_tmpl_ids), ("done", self.products["RB-03"]))
        self.assertEqual(self._on_hand(self.products["RB-03"]), 8)
        self.assertFalse(self._queued())
