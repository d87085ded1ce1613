import importlib.util
from datetime import timedelta
from pathlib import Path

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "19.0.3.0.0" / "post-migrate.py"


@tagged("post_install", "-at_install")
class TestSchema(TransactionCase):
    def test_product_inserted_by_code_unaware_of_the_addon(self):
        """Core's at_install tests (``odoo -u stock --test-enable`` on a
        database with the addon) create products while this addon's models
        are not loaded: their INSERT names none of its columns, and must not
        break a NOT NULL constraint of them."""
        uom = self.env.ref("uom.product_uom_unit")
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO product_template (name, type, uom_id, tracking, service_tracking)
                VALUES (%s, 'consu', %s, 'none', 'no') RETURNING id
                """,
                '{"en_US": "Made elsewhere"}',
                uom.id,
            )
        )
        [template_id] = self.env.cr.fetchone()
        template = self.env["product.template"].browse(template_id)
        self.assertEqual(template.api_sync_state, "never")
        self.assertFalse(template.api_external_id)
        self.assertFalse(template.api_last_run_id)

    def test_upgrade_points_the_scheduled_action_at_the_run_model(self):
        """A database upgraded from the version whose scheduled action called
        ``product.template._cron_api_sync`` calls the run model's, with the
        interval and next call it had."""
        cron = self.env.ref("stock_sync_api.ir_cron_api_sync")
        when = fields.Datetime.now().replace(microsecond=0) + timedelta(minutes=17)
        cron.write(
            {
                "model_id": self.env["ir.model"]._get_id("product.template"),
                "code": "model._cron_api_sync()",
                "interval_number": 3,
                "interval_type": "hours",
                "nextcall": when,
            }
        )
        spec = importlib.util.spec_from_file_location("stock_sync_api_post_migrate", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "19.0.2.0.0")
        self.env.invalidate_all()
        self.assertEqual(cron.model_id.model, "stock.sync.run")
        self.assertEqual(cron.code, "model._cron_sync()")
        self.assertEqual((cron.interval_number, cron.interval_type, cron.nextcall), (3, "hours", when))
        self.assertIs(cron.active, True)
