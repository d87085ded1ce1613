"""Upgrading from 19.0.3 (the external ID and status on the product, not
its variants) keeps every product's ID, status and last run."""

import importlib.util
from pathlib import Path

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from .common import StockSyncApiCase

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "19.0.4.0.0"


def load(name):
    module_name = "stock_sync_api_migration_" + name.replace("-", "_").removesuffix(".py")
    spec = importlib.util.spec_from_file_location(module_name, MIGRATIONS / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigration(StockSyncApiCase):
    def _as_19_0_3(self, template, external_id, state="ok", run=None):
        """Put ``template`` as 19.0.3 left it: its ID and status on the
        product's row, none on its variants'."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE product_template
                   SET api_external_id = %(external_id)s, api_sync_state = %(state)s,
                       api_sync_message = 'On hand 1 -> 2 Units', api_last_sync_date = %(now)s,
                       api_last_attempt_date = %(now)s, api_last_run_id = %(run)s
                 WHERE id = %(id)s
                """,
                external_id=external_id,
                state=state,
                now=fields.Datetime.now(),
                run=run.id if run else None,
                id=template.id,
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE product_product SET api_external_id = NULL, api_sync_state = 'never', api_sync_message = NULL,"
                " api_last_sync_date = NULL, api_last_attempt_date = NULL, api_last_run_id = NULL"
                " WHERE product_tmpl_id = %s",
                template.id,
            )
        )
        self.env.invalidate_all()

    def test_upgrade_moves_each_id_to_its_only_variant_and_says_so_of_products_with_several(self):
        self._clear_external_ids()
        run = self.env["stock.sync.run"]._start("manual")
        single = self._make_product(False, name="Single")
        self._as_19_0_3(single, "M-SINGLE", run=run)
        size = self.env["product.attribute"].sudo().create(
            {"name": "Migration Size", "value_ids": [(0, 0, {"name": "S"}), (0, 0, {"name": "M"})]}
        )
        several = self._make_product(
            False,
            name="Several",
            attribute_line_ids=[(0, 0, {"attribute_id": size.id, "value_ids": [(6, 0, size.value_ids.ids)]})],
        )
        self._as_19_0_3(several, "M-SEVERAL", state="error")

        load("pre-migrate.py").migrate(self.env.cr, "19.0.3.0.0")
        load("post-migrate.py").migrate(self.env.cr, "19.0.3.0.0")
        self.env.invalidate_all()

        variant = single.product_variant_id
        self.assertEqual(variant.api_external_id, "M-SINGLE")
        self.assertEqual((variant.api_sync_state, variant.api_last_run_id), ("ok", run))
        self.assertEqual(variant.api_sync_message, "On hand 1 -> 2 Units")
        self.assertTrue(variant.api_last_sync_date)
        self.assertEqual((single.api_external_id, single.api_sync_state), ("M-SINGLE", "ok"))
        # Several variants: none took the ID, the product says which it had and what to do.
        self.assertFalse(several.api_external_id)
        self.assertFalse(several.product_variant_ids.filtered("api_external_id"))
        note = several.message_ids[0].body
        self.assertIn("M-SEVERAL", note)
        self.assertIn("right variant", note)
        self.assertEqual(several.api_sync_state, "never")
