from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import StockSyncApiCase

#: What the stock API says of the products of these tests.
API_PRODUCTS = [
    {"product_id": "U-DOZENS", "quantity": "50"},
    {"product_id": "U-PIECES", "quantity": "30"},
    {"product_id": "U-ODD-PIECES", "quantity": "25"},
    {"product_id": "U-HALF", "quantity": "2.5"},
    {"product_id": "U-ARCHIVED", "quantity": "9"},
    {"product_id": "U-COMPANY", "quantity": "9"},
    {"product_id": "U-VARIANT", "quantity": "9"},
]


@tagged("post_install", "-at_install")
class TestUnits(StockSyncApiCase):
    """What the API's quantity means: the product's unit, exactly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_params(base_url=cls._start_mock_api(API_PRODUCTS))
        cls.units = cls.env.ref("uom.product_uom_unit")
        cls.dozens = cls.env.ref("uom.product_uom_dozen")
        cls.precision = cls.env.ref("uom.decimal_product_uom").sudo()

    def test_quantity_is_in_the_product_unit(self):
        product = self._make_product("U-DOZENS", uom_id=self.dozens.id)
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "ok", product.api_sync_message)
        self.assertEqual(self._on_hand(product), 50)  # 50 dozens, 600 units
        move = self._inventory_moves(product)
        self.assertEqual((move.quantity, move.product_uom), (50, self.dozens))
        self.assertEqual(product.api_sync_message, "On hand 0 -> 50 Dozens")
        self.assertIn("0 -&gt; 50 Dozens", product.message_ids[0].body)
        line = product.api_last_run_id.line_ids
        self.assertEqual((line.api_quantity, line.uom_id), (50, self.dozens))

    def test_api_unit_converted_by_odoo(self):
        # The API counts pieces of a product sold by the dozen: 30 pieces are 2.5 dozens.
        product = self._make_product("U-PIECES", uom_id=self.dozens.id, api_uom_id=self.units.id)
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "ok", product.api_sync_message)
        self.assertEqual(self._on_hand(product), 2.5)
        self.assertEqual(product.api_sync_message, "On hand 0 -> 2.5 Dozens (30 Units in the stock API)")

    def test_api_unit_must_convert(self):
        with self.assertRaisesRegex(ValidationError, "cannot be converted"):
            self._make_product("U-PIECES", api_uom_id=self.env.ref("uom.product_uom_kgm").id)

    def test_quantity_the_unit_cannot_hold_is_refused(self):
        # 25 pieces are 2.0833... dozens: Odoo counts to 2 decimals.
        odd = self._make_product("U-ODD-PIECES", on_hand=1, uom_id=self.dozens.id, api_uom_id=self.units.id)
        odd.action_api_sync()
        self.assertEqual(odd.api_sync_state, "error")
        self.assertIn("2.083333", odd.api_sync_message)
        self.assertIn("cannot be held exactly", odd.api_sync_message)
        self.assertEqual(self._on_hand(odd), 1)
        self.assertFalse(self._inventory_moves(odd))

    def test_fractional_answer_exact_in_the_unit(self):
        half = self._make_product("U-HALF", on_hand=1)
        half.action_api_sync()  # Odoo counts to 2 decimals: 2.5 is exact
        self.assertEqual(self._on_hand(half), 2.5)
        self.assertEqual(half.api_sync_message, "On hand 1 -> 2.5 Units")

    def test_fractional_answer_for_whole_units_is_refused(self):
        self.precision.digits = 0  # products counted in whole units
        half = self._make_product("U-HALF", on_hand=1)
        half.action_api_sync()
        self.assertEqual(half.api_sync_state, "error")
        self.assertIn("2.5 Units cannot be held exactly", half.api_sync_message)
        self.assertIn("0 decimals", half.api_sync_message)
        self.assertEqual(self._on_hand(half), 1)
        self.assertFalse(self._inventory_moves(half))


@tagged("post_install", "-at_install")
class TestLeftOut(StockSyncApiCase):
    """Products no synchronisation takes say why, and the run counts them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        cls._set_params(base_url=cls._start_mock_api(API_PRODUCTS))

    def test_archived_product_left_out_with_a_reason(self):
        archived = self._make_product("U-ARCHIVED", on_hand=4)
        archived.sudo().active = False
        self.assertIn("Archived", archived.api_sync_message)
        with self.assertRaisesRegex(UserError, "Archived: left out"):
            archived.action_api_sync()
        self.assertIs(self._run_cron(), True)
        run = self.env["stock.sync.run"].search([("trigger", "=", "cron")], order="id desc", limit=1)
        self.assertEqual((run.product_count, run.skipped_count), (0, 1))
        self.assertEqual(self._on_hand(archived), 4)
        self.assertEqual(archived.api_sync_state, "never")
        # Restored: synced again.
        archived.sudo().active = True
        archived.action_api_sync()
        self.assertEqual(self._on_hand(archived), 9)

    def test_product_of_an_archived_company_left_out(self):
        company = self.env["res.company"].sudo().create({"name": "GlobalShop Closed"})
        product = self._make_product("U-COMPANY", company_id=company.id)
        company.active = False
        self.assertIs(self._run_cron(), True)
        run = self.env["stock.sync.run"].search([("trigger", "=", "cron")], order="id desc", limit=1)
        self.assertEqual(run.skipped_count, 1)
        # Of an archived company: only visible to the superuser now.
        self.assertEqual(product.sudo().api_sync_state, "never")
        self.assertIn("GlobalShop Closed is archived", product.sudo().api_sync_message)

    def test_archived_variant(self):
        product = self._make_product("U-VARIANT", on_hand=2)
        variant = product.product_variant_ids
        variant.sudo().active = False
        # The variant is what syncs now: archived, it is left out as an
        # archived product is, and says why.
        with self.assertRaisesRegex(UserError, "Archived: left out"):
            product.action_api_sync()
        self.assertIn("Archived: left out", variant.api_sync_message)
        self.assertEqual(variant.api_sync_state, "never")
