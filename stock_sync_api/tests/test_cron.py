from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .common import StockSyncApiCase


@tagged("post_install", "-at_install")
class TestCron(StockSyncApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("stock_sync_api.ir_cron_api_sync").sudo()
        # Only this test's products have an external ID (demo data may have others).
        cls.env["product.template"].sudo().search([("api_external_id", "!=", False)]).write(
            {"api_external_id": False}
        )

    def _run_manually(self):
        """Run the scheduled action as Settings > Technical > Scheduled Actions > Run Manually does.

        The job runs in a cursor of its own; test mode makes it wrap the test's.
        """
        with self.enter_registry_test_mode():
            return self.cron.method_direct_trigger()

    def test_cron_record(self):
        self.assertTrue(self.cron.active)
        self.assertEqual((self.cron.interval_number, self.cron.interval_type), (1, "hours"))
        self.assertEqual(self.cron.code.strip(), "model._cron_api_sync()")
        self.assertEqual(self.cron.model_id.model, "product.template")

    def test_run_manually(self):
        self._set_params(batch_size=2)
        raised = self._make_product("T-CRON-1", on_hand=1)
        same = self._make_product("T-CRON-2", on_hand=6)
        missing = self._make_product("T-UNKNOWN", on_hand=3)
        archived = self._make_product("T-CRON-3", on_hand=1)
        archived.sudo().active = False
        no_id = self._make_product(False, name="No ID", on_hand=2)
        self.assertIs(self._run_manually(), True)
        self.assertEqual(self._on_hand(raised), 5)
        self.assertEqual(raised.api_sync_state, "ok")
        self.assertEqual(same.api_sync_state, "ok")
        self.assertFalse(self._inventory_moves(same))
        self.assertEqual(missing.api_sync_state, "error")
        self.assertEqual(self._on_hand(missing), 3)
        self.assertEqual(archived.api_sync_state, "never")
        self.assertEqual(no_id.api_sync_state, "never")
        progress = self.env["ir.cron.progress"].sudo().search([("cron_id", "=", self.cron.id)], order="id desc", limit=1)
        self.assertEqual(progress.remaining, 0)
        self.assertEqual(progress.done, 3)
        self.assertFalse(self.env["ir.config_parameter"].sudo().get_param("stock_sync_api.cron_round_started_at"))

    def test_round_resumes_where_it_stopped(self):
        self._set_params(batch_size=2)
        templates = self.env["product.template"].concat(
            self._make_product("T-CRON-1", on_hand=1),
            self._make_product("T-CRON-2", on_hand=1),
            self._make_product("T-CRON-3", on_hand=1),
        )
        Template = self.env["product.template"].sudo()
        pending = Template._get_api_sync_cron_pending()
        self.assertEqual(pending, templates)
        # Out of time after the first batch, as when _commit_progress returns 0.
        pending._api_sync(after_batch=lambda batch: False)
        self.assertEqual(templates.mapped("api_sync_state"), ["ok", "ok", "never"])
        self.assertEqual(Template._get_api_sync_cron_pending(), templates[2])
        self.assertIs(self._run_manually(), True)
        self.assertEqual(templates.mapped("api_sync_state"), ["ok", "ok", "ok"])
        self.assertEqual(self._on_hand(templates[2]), 7)
        # The round is over: the next one, an hour later, takes every product again.
        with freeze_time(fields.Datetime.now() + timedelta(hours=1)):
            self.assertEqual(Template._get_api_sync_cron_pending(), templates)

    def test_cron_never_raises(self):
        self._set_params(cli_path="/nonexistent/sync-cli")
        product = self._make_product("T-CRON-1", on_hand=1)
        self.assertIs(self._run_manually(), True)
        self.assertEqual(product.api_sync_state, "error")
        self.assertIn("sync-cli was not found", product.api_sync_message)
        self.assertEqual(self._on_hand(product), 1)
