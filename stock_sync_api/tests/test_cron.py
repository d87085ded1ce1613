from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from ..engine.entry import pending_products, scheduled_run
from .common import StockSyncApiCase


@tagged("post_install", "-at_install")
class TestCron(StockSyncApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("stock_sync_api.ir_cron_api_sync").sudo()
        cls._clear_external_ids()

    def test_cron_record(self):
        self.assertTrue(self.cron.active)
        self.assertEqual((self.cron.interval_number, self.cron.interval_type), (1, "hours"))
        self.assertEqual(self.cron.code.strip(), "model._cron_sync()")
        self.assertEqual(self.cron.model_id.model, "stock.sync.run")

    def test_run_manually(self):
        self._set_params(batch_size=2)
        raised = self._make_product("T-CRON-1", on_hand=1)
        same = self._make_product("T-CRON-2", on_hand=6)
        missing = self._make_product("T-UNKNOWN", on_hand=3)
        archived = self._make_product("T-CRON-3", on_hand=1)
        archived.sudo().active = False
        no_id = self._make_product(False, name="No ID", on_hand=2)
        self.assertIs(self._run_cron(), True)
        self.assertEqual(self._on_hand(raised), 5)
        self.assertEqual(raised.api_sync_state, "ok")
        self.assertEqual(same.api_sync_state, "ok")
        self.assertFalse(self._inventory_moves(same))
        self.assertEqual(missing.api_sync_state, "error")
        self.assertEqual(self._on_hand(missing), 3)
        self.assertEqual(archived.api_sync_state, "never")
        self.assertIn("Archived: left out", archived.api_sync_message)
        self.assertEqual(no_id.api_sync_state, "never")
        progress = (
            self.env["ir.cron.progress"].sudo().search([("cron_id", "=", self.cron.id)], order="id desc", limit=1)
        )
        self.assertEqual(progress.remaining, 0)
        self.assertEqual(progress.done, 3)
        run = raised.api_last_run_id
        self.assertEqual(run.trigger, "cron")
        self.assertEqual(run.state, "done")
        self.assertEqual(run.user_id, self.env.ref("base.user_root"))
        self.assertEqual(
            (run.product_count, run.done_count, run.changed_count, run.up_to_date_count, run.error_count),
            (3, 3, 1, 1, 1),
        )
        self.assertTrue(run.date_end)
        self.assertEqual(run.skipped_count, 1)
        self.assertEqual(same.api_last_run_id, run)
        self.assertEqual(missing.api_last_run_id, run)

    def test_round_resumes_where_it_stopped(self):
        self._set_params(batch_size=2)
        templates = self.env["product.template"].concat(
            self._make_product("T-CRON-1", on_hand=1),
            self._make_product("T-CRON-2", on_hand=1),
            self._make_product("T-CRON-3", on_hand=1),
        )
        Run = self.env["stock.sync.run"].sudo()
        run = scheduled_run(Run.env)
        pending = pending_products(run)
        self.assertEqual(pending.product_tmpl_id, templates)
        # Out of time after the first batch, as when _commit_progress returns 0.
        self._sync(pending, run, after_batch=lambda batch: False)
        self.assertEqual(templates.mapped("api_sync_state"), ["ok", "ok", "never"])
        self.assertEqual((run.state, run.done_count), ("running", 2))
        self.assertEqual(pending_products(run).product_tmpl_id, templates[2])
        # The next call of the scheduled action goes on with the same run.
        self.assertEqual(scheduled_run(Run.env), run)
        self.assertIs(self._run_cron(), True)
        self.assertEqual(templates.mapped("api_sync_state"), ["ok", "ok", "ok"])
        self.assertEqual(self._on_hand(templates[2]), 7)
        self.assertEqual(templates.api_last_run_id, run)
        self.assertEqual((run.state, run.product_count, run.done_count, run.changed_count), ("done", 3, 3, 3))
        self.assertEqual(len(run.line_ids), 3)
        # The round is over: the next one, an hour later, is a new run that takes every product again.
        with freeze_time(fields.Datetime.now() + timedelta(hours=1)):
            next_run = scheduled_run(Run.env)
            self.assertNotEqual(next_run, run)
            self.assertEqual(pending_products(next_run).product_tmpl_id, templates)

    def test_cron_never_raises(self):
        self._set_params(cli_path="/nonexistent/sync-cli")
        product = self._make_product("T-CRON-1", on_hand=1)
        self.assertIs(self._run_cron(), True)
        self.assertEqual(product.api_sync_state, "error")
        self.assertIn("sync-cli was not found", product.api_sync_message)
        self.assertEqual(self._on_hand(product), 1)
