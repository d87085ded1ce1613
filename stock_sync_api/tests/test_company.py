from unittest.mock import patch

from odoo.modules import module
from odoo.tests import Form, new_test_user, tagged

from ..engine.batch import BatchSync
from .common import StockSyncApiCase


@tagged("post_install", "-at_install")
class TestCompanies(StockSyncApiCase):
    """Each product is synced into its own company's location."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        cls.main = cls.env.company
        Company = cls.env["res.company"].sudo()
        # Outside tests Odoo creates no warehouse for a new company: do as it
        # does there, and create the warehouse as a user would.
        with patch.object(module, "current_test", False):
            cls.second = Company.create({"name": "GlobalShop Belgium"})
            cls.bare = Company.create({"name": "GlobalShop Holding"})
        cls.manager_both = new_test_user(
            cls.env(su=True),
            login="sync_manager_both",
            groups="base.group_user,stock.group_stock_manager,base.group_multi_company",
            company_id=cls.main.id,
            company_ids=[(6, 0, (cls.main | cls.second | cls.bare).ids)],
            name="Manager of both",
        )
        cls.manager_second = new_test_user(
            cls.env(su=True),
            login="sync_manager_second",
            groups="base.group_user,stock.group_stock_manager",
            company_id=cls.second.id,
            company_ids=[(6, 0, cls.second.ids)],
            name="Manager of Belgium",
        )
        with Form(cls.env["stock.warehouse"].with_user(cls.manager_second).with_company(cls.second)) as form:
            form.name = "Brussels"
            form.code = "BRU"
        cls.second_warehouse = form.record
        cls.second_stock = cls.second_warehouse.lot_stock_id
        cls.main_product = cls._make_product("T-RAISE", on_hand=40, company_id=cls.main.id)
        cls.second_product = cls._make_product("T-LOWER", company_id=cls.second.id)
        cls.shared_product = cls._make_product("T-MIX-OK")
        cls.bare_product = cls._make_product("T-SAME", company_id=cls.bare.id)
        Quant = cls.env["stock.quant"].sudo()
        Quant._update_available_quantity(cls.second_product.product_variant_id, cls.second_stock, 25)

    def _on_hand_at(self, template, location):
        return template.product_variant_id.with_context(location=location.id).sudo().qty_available

    def test_scheduled_sync_counts_each_product_in_its_company(self):
        self.assertFalse(self.env["stock.warehouse"].sudo().search([("company_id", "=", self.bare.id)]))
        batches = []
        real_batch = BatchSync.sync

        def recording_batch(batch_sync, index, templates):
            batches.append((batch_sync.env.company, templates.company_id))
            return real_batch(batch_sync, index, templates)

        self._set_params(batch_size=10)
        with patch.object(BatchSync, "sync", recording_batch):
            self.assertIs(self._run_cron(), True)
        # A batch never mixes companies; the shared product goes with the
        # company running the sync (the scheduled action's: the main one).
        self.assertCountEqual(
            batches,
            [(self.main, self.main), (self.second, self.second), (self.bare, self.bare)],
        )
        self.assertEqual(self.main_product.api_sync_state, "ok")
        self.assertEqual(self._on_hand_at(self.main_product, self.location), 50)
        self.assertEqual(self.second_product.api_sync_state, "ok", self.second_product.api_sync_message)
        self.assertEqual(self._on_hand_at(self.second_product, self.second_stock), 10)
        move = self._inventory_moves(self.second_product)
        self.assertEqual((move.company_id, move.location_id), (self.second, self.second_stock))
        self.assertEqual(self._on_hand_at(self.shared_product, self.location), 12)
        # A company with no warehouse: a clear error naming it, the others go on.
        self.assertEqual(self.bare_product.api_sync_state, "error")
        self.assertIn("GlobalShop Holding has no warehouse", self.bare_product.api_sync_message)
        run = self.main_product.api_last_run_id
        self.assertEqual((run.changed_count, run.error_count), (3, 1))
        lines = {line.product_tmpl_id: line for line in run.line_ids}
        self.assertEqual(
            (lines[self.second_product].company_id, lines[self.second_product].location_id),
            (self.second, self.second_stock),
        )
        self.assertEqual(
            (lines[self.main_product].company_id, lines[self.main_product].location_id), (self.main, self.location)
        )
        self.assertEqual(
            (lines[self.shared_product].company_id, lines[self.shared_product].location_id), (self.main, self.location)
        )
        self.assertEqual((lines[self.bare_product].company_id, lines[self.bare_product].state), (self.bare, "error"))

    def test_user_of_one_company(self):
        Template = self.env["product.template"].with_user(self.manager_second)
        visible = Template.search([("api_external_id", "!=", False)])
        self.assertEqual(visible, self.second_product | self.shared_product)
        visible.action_api_sync()
        self.assertEqual(self._on_hand_at(self.second_product, self.second_stock), 10)
        # Shared by all companies: counted in the company running the sync, the user's.
        self.assertEqual(self._on_hand_at(self.shared_product, self.second_stock), 12)
        self.assertEqual(self._on_hand_at(self.shared_product, self.location), 0)
        # The other company's product was not touched.
        self.assertEqual(self._on_hand_at(self.main_product, self.location), 40)
        self.assertEqual(self.main_product.api_sync_state, "never")
        # Nor may that user see the other company's lines.
        run = self.second_product.api_last_run_id.with_user(self.manager_second)
        self.assertEqual(run.line_ids.company_id, self.second)

    def test_right_company_whatever_the_switcher_says(self):
        # Both companies ticked in the switcher, the main one current.
        env = self.env(user=self.manager_both, context={"allowed_company_ids": [self.main.id, self.second.id]})
        templates = env["product.template"].browse((self.main_product | self.second_product | self.shared_product).ids)
        templates.action_api_sync()
        self.assertEqual(self.second_product.api_sync_state, "ok", self.second_product.api_sync_message)
        self.assertEqual(self._on_hand_at(self.second_product, self.second_stock), 10)
        self.assertEqual(self._on_hand_at(self.main_product, self.location), 50)
        self.assertEqual(self._on_hand_at(self.shared_product, self.location), 12)

    def test_location_chosen_in_the_settings(self):
        shelf = (
            self.env["stock.location"]
            .sudo()
            .create({"name": "Shelf", "location_id": self.second_stock.id, "company_id": self.second.id})
        )
        Settings = self.env["res.config.settings"].sudo().with_company(self.second)
        Settings.create({"api_sync_location_id": shelf.id}).execute()
        self.assertEqual(self.second.stock_sync_location_id, shelf)
        self.assertFalse(self.main.stock_sync_location_id)
        # On hand is compared at the location and below (25 at Brussels/Stock
        # is not below the shelf): the difference is applied at the shelf.
        self.second_product.with_user(self.manager_second).action_api_sync()
        self.assertEqual(self._on_hand_at(self.second_product, shelf), 10)
        self.assertEqual(self._on_hand_at(self.second_product, self.second_stock), 35)
        line = self.second_product.api_last_run_id.line_ids
        self.assertEqual((line.location_id, line.on_hand, line.api_quantity), (shelf, 0, 10))

    def test_location_must_be_internal_of_the_company(self):
        with self.assertRaisesRegex(Exception, "must be an internal location of that company"):
            self.second.sudo().stock_sync_location_id = self.location
        customers = self.env.ref("stock.stock_location_customers")
        with self.assertRaisesRegex(Exception, "internal location"):
            self.main.sudo().stock_sync_location_id = customers
