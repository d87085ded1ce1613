from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..engine import round as round_module
from .common import StockSyncApiCase


@tagged("post_install", "-at_install")
class TestRun(StockSyncApiCase):
    """Every synchronisation is a run a stock manager can open."""

    def test_button_makes_a_run_with_lines_for_changed_and_failed_products(self):
        raised = self._make_product("T-RAISE", on_hand=40)
        same = self._make_product("T-SAME", on_hand=7)
        missing = self._make_product("T-UNKNOWN", on_hand=3)
        (raised | same | missing).action_api_sync()
        run = raised.api_last_run_id
        self.assertTrue(run.name.startswith("SYNC/"), run.name)
        self.assertEqual((run.trigger, run.state, run.user_id), ("manual", "done", self.stock_manager))
        self.assertEqual(
            (run.product_count, run.done_count, run.changed_count, run.up_to_date_count, run.error_count),
            (3, 3, 1, 1, 1),
        )
        self.assertEqual(run.progress, 100)
        self.assertTrue(run.date_start <= run.date_end)
        self.assertEqual(run.product_tmpl_ids, raised | same | missing)
        self.assertEqual((same.api_last_run_id, missing.api_last_run_id), (run, run))
        # One line per changed or failed product, none for the one up to date.
        self.assertEqual(run.line_ids.product_tmpl_id, raised | missing)
        applied = run.line_ids.filtered(lambda line: line.product_tmpl_id == raised)
        move = self._inventory_moves(raised)
        self.assertEqual(
            (applied.state, applied.on_hand, applied.api_quantity, applied.difference, applied.move_id),
            ("applied", 40, 50, 10, move),
        )
        self.assertEqual(
            (applied.external_id, applied.company_id, applied.location_id), ("T-RAISE", self.env.company, self.location)
        )
        self.assertEqual(applied.message, "On hand 40 -> 50 Units")
        failed = run.line_ids - applied
        self.assertEqual(failed.state, "error")
        self.assertFalse(failed.move_id)
        self.assertTrue(failed.message.startswith("Not found in the stock API"), failed.message)
        # The smart buttons: its products and the inventory moves it made.
        self.assertEqual((run.line_product_count, run.move_count), (2, 1))
        products = run.action_view_products()
        self.assertEqual(self.env["product.template"].search(products["domain"]), raised | missing)
        moves = run.action_view_moves()
        self.assertEqual(self.env["stock.move"].sudo().search(moves["domain"]), move)
        # And from the product to its last run.
        self.assertEqual(raised.api_last_run_id.action_open()["res_id"], run.id)

    def test_each_sync_is_a_new_run(self):
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        first = product.api_last_run_id
        product.action_api_sync()
        second = product.api_last_run_id
        self.assertNotEqual(first, second)
        self.assertEqual(
            (second.changed_count, second.up_to_date_count, second.line_ids), (0, 1, second.line_ids.browse())
        )

    def test_preview_never_moves_stock(self):
        raised = self._make_product("T-RAISE", on_hand=40)
        zeroed = self._make_product("T-ZERO", on_hand=3)
        same = self._make_product("T-SAME", on_hand=7)
        action = (raised | zeroed | same).with_user(self.stock_user).action_api_sync_preview()
        run = self.env["stock.sync.run"].browse(action["res_id"])
        self.assertEqual((run.trigger, run.state, run.user_id), ("preview", "planned", self.stock_user))
        self.assertEqual((run.changed_count, run.up_to_date_count, run.zero_count), (2, 1, 1))
        self.assertEqual(
            sorted(
                (line.external_id, line.on_hand, line.api_quantity, line.difference, line.state)
                for line in run.line_ids
            ),
            [("T-RAISE", 40, 50, 10, "planned"), ("T-ZERO", 3, 0, -3, "planned")],
        )
        self.assertFalse(run.line_ids.move_id)
        for template, on_hand in ((raised, 40), (zeroed, 3), (same, 7)):
            self.assertEqual(self._on_hand(template), on_hand)
            self.assertFalse(self._inventory_moves(template))
            # A preview is a look: the products' own status is left as it was.
            self.assertEqual(template.api_sync_state, "never")
            self.assertFalse(template.api_last_run_id)

    def test_preview_of_the_whole_catalog_from_the_settings(self):
        self._clear_external_ids()
        raised = self._make_product("T-RAISE", on_hand=40)
        self._make_product("T-SAME", on_hand=7)
        # The settings page is for administrators.
        admin = self.env.ref("base.user_admin")
        action = self.env["res.config.settings"].with_user(admin).create({}).action_api_sync_preview_all()
        run = self.env["stock.sync.run"].browse(action["res_id"])
        self.assertEqual((run.trigger, run.state, run.product_count, run.changed_count), ("preview", "planned", 2, 1))
        self.assertEqual(self._on_hand(raised), 40)


@tagged("post_install", "-at_install")
class TestRunAccess(StockSyncApiCase):
    def test_plain_internal_user_sees_no_runs(self):
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        with self.assertRaises(AccessError):
            self.env["stock.sync.run"].with_user(self.internal_user).search([])
        with self.assertRaises(AccessError):
            self.env["stock.sync.run.line"].with_user(self.internal_user).search([])

    def test_inventory_user_reads_runs_and_changes_nothing(self):
        product = self._make_product("T-RAISE", on_hand=40)
        preview = self.env["stock.sync.run"].browse(product.action_api_sync_preview()["res_id"])
        as_user = preview.with_user(self.stock_user)
        self.assertEqual(as_user.line_ids.external_id, "T-RAISE")
        with self.assertRaises(AccessError):
            as_user.write({"state": "done"})
        with self.assertRaises(AccessError):
            as_user.unlink()
        with self.assertRaises(AccessError):
            as_user.line_ids.write({"api_quantity": 1})
        with self.assertRaises(AccessError):
            as_user.action_apply()
        with self.assertRaises(AccessError):
            as_user.action_discard()
        self.assertEqual(preview.state, "planned")
        self.assertEqual(self._on_hand(product), 40)

    def test_inventory_administrator_discards(self):
        product = self._make_product("T-RAISE", on_hand=40)
        preview = self.env["stock.sync.run"].browse(product.action_api_sync_preview()["res_id"])
        preview.action_discard()
        self.assertEqual(preview.state, "discarded")
        self.assertEqual(self._on_hand(product), 40)
        self.assertFalse(self._inventory_moves(product))


@tagged("post_install", "-at_install")
class TestRunAlerts(StockSyncApiCase):
    """Scheduled runs that end badly alert the inventory administrators, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()

    def _alerts(self, run):
        return run.message_ids.filtered(lambda m: m.message_type == "comment" and m.partner_ids)

    def _scheduled_run(self):
        self.assertIs(self._run_cron(), True)
        return self.env["stock.sync.run"].search([("trigger", "=", "cron")], order="id desc", limit=1)

    def test_alerts_are_worded_for_the_run_trigger(self):
        """A notified run or a round of changes that fails is not called scheduled."""
        Run = self.env["stock.sync.run"]
        for trigger, wording in (
            ("notified", "The notified synchronisation"),
            ("changes", "The round of changes"),
            ("cron", "The scheduled synchronisation"),
        ):
            run = Run._start(trigger)
            run._fail("the stock API is down")
            [alert] = self._alerts(run)
            self.assertIn(f"{wording} {run.name} failed: the stock API is down", alert.body)

    def test_one_alert_per_streak_of_failing_runs(self):
        good = self._make_product("T-SAME", on_hand=7)
        broken = self._make_product("T-500", on_hand=1)
        first = self._scheduled_run()
        self.assertEqual((first.state, first.issue, first.error_count), ("done", "errors", 1))
        [alert] = self._alerts(first)
        self.assertIn(self.stock_manager.partner_id, alert.partner_ids)
        self.assertNotIn(self.stock_user.partner_id, alert.partner_ids)
        self.assertIn("1 products in error out of 2", alert.body)
        self.assertTrue(
            self.env["mail.notification"]
            .sudo()
            .search([("mail_message_id", "=", alert.id), ("res_partner_id", "=", self.stock_manager.partner_id.id)])
        )
        self.assertIn(self.stock_manager.partner_id, first.message_partner_ids)
        # The API still fails an hour later: no second alert.
        second = self._scheduled_run()
        self.assertNotEqual(second, first)
        self.assertEqual(second.issue, "errors")
        self.assertFalse(self._alerts(second))
        self.assertTrue(any(first.name in body for body in second.message_ids.mapped("body")))
        # Fixed: a run whose every product is fine sends nothing...
        broken.sudo().api_external_id = False
        third = self._scheduled_run()
        self.assertEqual((third.state, third.issue, third.error_count), ("done", False, 0))
        self.assertFalse(self._alerts(third))
        # ... and the next failure alerts again.
        broken.sudo().api_external_id = "T-500"
        fourth = self._scheduled_run()
        self.assertEqual(len(self._alerts(fourth)), 1)
        self.assertEqual(good.api_sync_state, "ok")

    def test_manual_runs_do_not_alert(self):
        broken = self._make_product("T-500", on_hand=1)
        broken.action_api_sync()
        run = broken.api_last_run_id
        self.assertEqual(run.issue, "errors")
        self.assertFalse(self._alerts(run))

    def test_failed_run_alerts(self):
        self._make_product("T-SAME", on_hand=7)

        # A fault inside the run itself cannot be produced for real: the
        # grouping of products into batches is made to raise.
        def broken(templates):
            raise RuntimeError("out of memory")

        with patch.object(round_module, "group_by_company", broken):
            run = self._scheduled_run()
        self.assertEqual((run.state, run.issue), ("failed", "failed"))
        self.assertEqual(len(self._alerts(run)), 1)
        self.assertIn("out of memory", run.failure_message)
        self.assertIn("out of memory", self._alerts(run).body)

    def test_run_that_cannot_start_fails_without_lines(self):
        self._set_params(base_url="ftp://stock.example.com")
        product = self._make_product("T-SAME", on_hand=7)
        run = self._scheduled_run()
        self.assertEqual((run.state, run.issue, run.error_count), ("failed", "failed", 1))
        self.assertIn("must start with http:// or https://", run.failure_message)
        self.assertFalse(run.line_ids)
        self.assertEqual(product.api_sync_state, "error")
        self.assertEqual(product.api_last_run_id, run)
        self.assertEqual(len(self._alerts(run)), 1)


@tagged("post_install", "-at_install")
class TestRunRetention(StockSyncApiCase):
    def test_old_runs_deleted_moves_kept(self):
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        old = product.api_last_run_id
        move = old.line_ids.move_id
        self.assertTrue(move)
        recent = self.env["stock.sync.run"]._start("manual", product)
        recent._finish()
        Run = self.env["stock.sync.run"].sudo()
        old.sudo().date_start = fields.Datetime.now() - timedelta(days=91)
        recent.sudo().date_start = fields.Datetime.now() - timedelta(days=89)
        Run._gc_old_runs()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        self.assertTrue(move.exists())
        self.assertEqual(move.state, "done")
        self.assertFalse(product.api_last_run_id)
        # The retention is a setting.
        self._set_params(run_retention_days=30)
        Run._gc_old_runs()
        self.assertFalse(recent.exists())
