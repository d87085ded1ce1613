import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from unittest.mock import patch

from odoo.models import BaseModel
from odoo.tests import HttpCase, tagged

from ..controllers.notify import ROUTE
from ..engine.batch import BatchSync
from .common import NOTIFY_SECRET, StockSyncNotifyMixin, find_binary, set_api_quantity
from .test_tour import FrenchStockManagerMixin

ROUTE_LOGGER = "odoo.addons.stock_sync_api.controllers.notify"


@tagged("post_install", "-at_install")
class TestNotify(StockSyncNotifyMixin, HttpCase):
    """The stock API's signed notifications, through the real route, synced by
    the scheduled action they trigger with the real sync-cli and mock-api."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notifications()

    # ------------------------------------------------------------------
    # Accepted
    # ------------------------------------------------------------------

    def test_signed_notification_is_synced_by_the_triggered_action(self):
        product = self._make_product("T-RAISE", on_hand=40)
        self._make_product("T-LOWER", on_hand=25)  # not notified: left alone
        with self.assertLogs(ROUTE_LOGGER, logging.INFO) as logs:
            response = self._notify(["T-RAISE"])
        self.assertEqual(response.status_code, 202, response.text)
        self.assertEqual(response.json(), {"accepted": 1})
        self.assertIn("1 products queued, 0 left out, 0 unknown IDs", "\n".join(logs.output))
        # Queued, and the scheduled action triggered: nothing synced in the request.
        self.assertEqual(self._queued(), {"T-RAISE": self.env["stock.sync.run"]})
        self.assertEqual(len(self._pending_triggers()), 1)
        self.assertEqual(self._on_hand(product), 40)
        self.assertEqual(product.api_sync_state, "never")
        self.assertFalse(self._notified_runs())

        self.assertIs(self._run_notified_cron(), True)
        self.assertEqual(self._on_hand(product), 50)
        self.assertEqual(product.api_sync_state, "ok")
        run = self._notified_runs()
        self.assertEqual(len(run), 1)
        self.assertEqual(product.api_last_run_id, run)
        self.assertEqual((run.trigger, run.state, run.user_id), ("notified", "done", self.env.ref("base.user_root")))
        self.assertEqual((run.product_count, run.done_count, run.changed_count), (1, 1, 1))
        self.assertEqual(run.product_tmpl_ids, product)
        self.assertEqual(run.line_ids.move_id, self._inventory_moves(product))
        self.assertFalse(self._queued())
        self.assertFalse(self._pending_triggers())
        # Nothing waits: the action starts no run.
        self.assertIs(self._run_notified_cron(), True)
        self.assertEqual(len(self._notified_runs()), 1)

    def test_body_with_quantities_only_asks_again(self):
        product = self._make_product("T-RAISE", on_hand=40)
        body = json.dumps(
            {
                "product_ids": ["T-RAISE"],
                "quantity": "999",
                "items": [{"product_id": "T-RAISE", "quantity": 999}],
            }
        ).encode()
        response = self._notify(body=body)
        self.assertEqual((response.status_code, response.json()), (202, {"accepted": 1}))
        self._run_notified_cron()
        # What the stock API says, never what the notification said.
        self.assertEqual(self._on_hand(product), 50)

    def test_unknown_ids_are_counted_never_an_error(self):
        self._make_product("T-RAISE", on_hand=40)
        with self.assertLogs(ROUTE_LOGGER, logging.INFO) as logs:
            response = self._notify(["NOPE-1", "NOPE-2", "NOPE-2", "T-RAISE"])
        self.assertEqual((response.status_code, response.json()), (202, {"accepted": 1}))
        self.assertIn("1 products queued, 0 left out, 2 unknown IDs", "\n".join(logs.output))
        response = self._notify(["NOPE-1"])
        self.assertEqual((response.status_code, response.json()), (202, {"accepted": 0}))
        response = self._notify([])
        self.assertEqual((response.status_code, response.json()), (202, {"accepted": 0}))
        self.assertEqual(list(self._queued()), ["T-RAISE"])

    def test_archived_and_excluded_products_are_left_out(self):
        archived = self._make_product("T-RAISE", on_hand=40)
        archived.sudo().active = False
        excluded = self._make_product("T-LOWER", on_hand=25)
        excluded.sudo().api_sync_excluded = True
        with self.assertLogs(ROUTE_LOGGER, logging.INFO) as logs:
            response = self._notify(["T-RAISE", "T-LOWER"])
        self.assertEqual((response.status_code, response.json()), (202, {"accepted": 0}))
        self.assertIn("0 products queued, 2 left out, 0 unknown IDs", "\n".join(logs.output))
        self.assertFalse(self._queued())
        self.assertFalse(self._pending_triggers())

    def test_product_archived_or_excluded_after_its_notification_is_left_out(self):
        product = self._make_product("T-RAISE", on_hand=40)
        excluded = self._make_product("T-SAME", on_hand=3)
        other = self._make_product("T-LOWER", on_hand=25)
        self._notify(["T-RAISE", "T-SAME", "T-LOWER"])
        product.sudo().active = False
        excluded.sudo().api_sync_excluded = True
        self._run_notified_cron()
        self.assertEqual((self._on_hand(product), self._on_hand(excluded)), (40, 3))
        self.assertEqual(self._on_hand(other), 10)
        run = self._notified_runs()
        self.assertEqual((run.product_count, run.done_count, run.skipped_count), (1, 1, 2))
        self.assertFalse(self._queued())

    # ------------------------------------------------------------------
    # Coalescing, floods, and notifications during a run
    # ------------------------------------------------------------------

    def test_burst_is_one_run_and_one_trigger(self):
        products = [self._make_product(f"T-CRON-{n}", on_hand=1) for n in (1, 2, 3)]
        for index in range(60):
            response = self._notify([f"T-CRON-{index % 3 + 1}", "UNKNOWN"])
            self.assertEqual(response.json(), {"accepted": 1})
        # The flood's bound: one row per product, one trigger waiting.
        self.assertEqual(len(self._queued()), 3)
        self.assertEqual(len(self._pending_triggers()), 1)
        self._run_notified_cron()
        self.assertEqual([self._on_hand(product) for product in products], [5, 6, 7])
        run = self._notified_runs()
        self.assertEqual(len(run), 1)
        self.assertEqual((run.product_count, run.changed_count), (3, 3))
        self.assertFalse(self._pending_triggers())

    def test_notification_after_the_action_started_triggers_it_again(self):
        self._make_product("T-RAISE", on_hand=40)
        self._make_product("T-LOWER", on_hand=25)
        self._notify(["T-RAISE"])
        self._run_notified_cron()
        # The trigger was used by that call: a new notification makes a new one.
        self._notify(["T-LOWER"])
        self.assertEqual(len(self._pending_triggers()), 1)
        self._notify(["T-LOWER"])
        self.assertEqual(len(self._pending_triggers()), 1)
        self._run_notified_cron()
        self.assertEqual(len(self._notified_runs()), 2)

    def test_notification_during_its_products_sync_is_kept(self):
        product = self._make_product("T-RAISE", on_hand=40)
        Queue = self.env["stock.sync.notification"]
        real_sync = BatchSync.sync
        seen = []

        def sync_and_notify(batch_sync, index, templates):
            # The route's work, as a notification arriving while the batch runs.
            seen.append(dict(self._queued()))
            Queue.with_env(batch_sync.env).sudo()._queue(["T-RAISE"])
            return real_sync(batch_sync, index, templates)

        self._notify(["T-RAISE"])
        with patch.object(BatchSync, "sync", sync_and_notify):
            self._run_notified_cron()
        first = self._notified_runs()
        # The run had taken the product; the new notification gave it back.
        self.assertEqual(seen, [{"T-RAISE": first}])
        self.assertEqual((first.state, self._on_hand(product)), ("done", 50))
        self.assertEqual(self._queued(), {"T-RAISE": self.env["stock.sync.run"]})
        self.assertTrue(self._pending_triggers())
        self._run_notified_cron()
        second = self._notified_runs() - first
        self.assertEqual((second.product_tmpl_ids, second.state, second.up_to_date_count), (product, "done", 1))
        self.assertFalse(self._queued())

    def test_product_held_by_another_sync_is_tried_again(self):
        product = self._make_product("T-RAISE", on_hand=40)
        self._notify(["T-RAISE"])
        # Another synchronisation holds the product's row.
        with patch.object(BaseModel, "try_lock_for_update", lambda records, **kwargs: records.browse()):
            self._run_notified_cron()
        run = self._notified_runs()
        self.assertEqual((run.state, self._on_hand(product)), ("done", 40))
        # Still queued, for later: a trigger when it is due, none waiting now.
        self.assertEqual(self._queued(), {"T-RAISE": self.env["stock.sync.run"]})
        row = self.env["stock.sync.notification"].sudo().search([])
        trigger = self._pending_triggers()
        self.assertEqual(len(trigger), 1)
        self.assertEqual(trigger.call_at, row.received_at)
        self.assertGreater(row.received_at, run.date_end)
        # Not taken before it is due...
        self.assertIs(self._run_notified_cron(), True)
        self.assertEqual(len(self._notified_runs()), 1)
        # ... unless notified again.
        self._notify(["T-RAISE"])
        self._run_notified_cron()
        self.assertEqual(self._on_hand(product), 50)
        self.assertFalse(self._queued())

    def test_listing_mode_triggers_a_round_of_changes(self):
        self._make_product("T-RAISE", on_hand=40)
        changes = self.env.ref("stock_sync_api.ir_cron_api_sync_changes").sudo()
        changes.active = True
        self._set_params(fetch_mode="listing")
        for _index in range(3):
            response = self._notify(["T-RAISE", "UNKNOWN"])
            self.assertEqual((response.status_code, response.json()), (202, {"accepted": 1}))
        # Nothing queued: the listing says what changed. One trigger waits.
        self.assertFalse(self._queued())
        self.assertFalse(self._pending_triggers())
        triggers = self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", changes.id)])
        self.assertEqual(len(triggers), 1)
        # Unknown only: nothing triggered.
        triggers.unlink()
        self.assertEqual(self._notify(["UNKNOWN"]).json(), {"accepted": 0})
        self.assertFalse(self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", changes.id)]))

    def test_held_notified_runs_alert_once_an_hour(self):
        # The brake judges a notified run as any other run (against the
        # catalog: the products not notified count as unchanged).
        self._set_params(hold_min_products=1, hold_change_percent=0)
        raised = self._make_product("T-RAISE", on_hand=40)
        self._make_product("T-LOWER", on_hand=25)

        def alerts(run):
            return run.message_ids.filtered(lambda message: message.message_type == "comment" and message.partner_ids)

        self._notify(["T-RAISE"])
        self._run_notified_cron()
        first = self._notified_runs()
        self.assertEqual((first.state, first.issue, self._on_hand(raised)), ("held", "held", 40))
        self.assertEqual(len(alerts(first)), 1)
        self._notify(["T-LOWER"])
        self._run_notified_cron()
        second = self._notified_runs() - first
        self.assertEqual(second.state, "held")
        self.assertFalse(alerts(second))
        self.assertTrue(any(first.name in body for body in second.message_ids.mapped("body")))
        self.assertFalse(self._queued())

    def test_rows_an_ended_run_did_not_release_are_taken_again(self):
        product = self._make_product("T-RAISE", on_hand=40)
        self._notify(["T-RAISE"])
        # A run whose end could not release its rows (the action failed then).
        ended = self.env["stock.sync.run"]._start("notified", product)
        ended._finish()
        self.env["stock.sync.notification"].flush_model()
        self.env.cr.execute("UPDATE stock_sync_notification SET run_id = %s", [ended.id])
        self._run_notified_cron()
        self.assertEqual(self._on_hand(product), 50)
        self.assertEqual(product.api_last_run_id, self._notified_runs() - ended)
        self.assertFalse(self._queued())

    def test_mock_api_notifies_and_the_change_is_synced(self):
        """End to end: a PUT on mock-api (``--notify-url``) makes it send the
        signed notification to the route, and the triggered action syncs it."""
        binary = find_binary("mock-api", "MOCK_API_BIN")
        if "--notify-url" not in subprocess.run([binary, "--help"], capture_output=True, text=True).stdout:
            self.skipTest(f"{binary} has no --notify-url: build the workspace's mock-api")
        log_dir = Path(tempfile.mkdtemp(prefix="stock_sync_api_test_"))
        self.addCleanup(shutil.rmtree, log_dir, ignore_errors=True)
        log_path = log_dir / "mock-api.log"
        with open(log_path, "w") as log_file:
            api_url = self._start_mock_api(
                [{"product_id": "T-E2E", "quantity": "5"}],
                "--notify-url",
                self.base_url() + ROUTE,
                env=dict(os.environ, MOCK_API_NOTIFY_SECRET=NOTIFY_SECRET, RUST_LOG="info", NO_COLOR="1"),
                stderr=log_file,
            )
        self._set_params(base_url=api_url)
        product = self._make_product("T-E2E", on_hand=5)
        # The notification comes from mock-api, without the test's cookie.
        with self.allow_requests(all_requests=True):
            set_api_quantity(api_url, "T-E2E", 42)
            deadline = time.monotonic() + 20
            while "of T-E2E" not in log_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        log = log_path.read_text()
        self.assertRegex(log, r"notified \S+ of T-E2E: 202", log)
        self.assertNotIn(NOTIFY_SECRET, log)
        self.env.invalidate_all()
        self.assertEqual(self._queued(), {"T-E2E": self.env["stock.sync.run"]})
        self.assertEqual(len(self._pending_triggers()), 1)
        self._run_notified_cron()
        self.assertEqual(self._on_hand(product), 42)
        self.assertEqual(product.api_last_run_id.trigger, "notified")

@tagged("post_install", "-at_install")
class TestNotifyTour(FrenchStockManagerMixin, StockSyncNotifyMixin, HttpCase):
    """A French stock manager's product page, before and after the stock API
    notified a change of it, in a real browser: the change appears without a
    click, synchronised by the scheduled action the notification triggered."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_french_stock_manager()
        cls._clear_external_ids()
        cls._set_params(notify_secret=NOTIFY_SECRET)
        cls.notify_cron = cls.env.ref(cls.NOTIFY_CRON).sudo()

    def test_notified_change_appears_on_the_product_page(self):
        product = self._make_product("T-RAISE", on_hand=40, name="Chaise de bureau")
        url = f"/odoo/action-stock.product_template_action_product/{product.id}"
        self._start_tour_as_manager(url, "stock_sync_api_tour_notified_before")
        response = self._notify(["T-RAISE"])
        self.assertEqual((response.status_code, response.json()), (202, {"accepted": 1}))
        self._run_notified_cron()
        self._start_tour_as_manager(url, "stock_sync_api_tour_notified_after")
        self.assertEqual(self._on_hand(product), 50)
        self.assertEqual(product.api_last_run_id.trigger, "notified")
