"""Each variant syncs under its own external ID: a T-shirt in three sizes is
three products of the stock API (DESIGN.md, "Variants")."""

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..models.product_product import STATUS_FIELDS
from .common import StockSyncApiCase, set_api_quantity
from .test_tour import FrenchStockManagerMixin

#: What the stock API of these tests says of each size.
SIZES = {"S": ("V-TSHIRT-S", "12"), "M": ("V-TSHIRT-M", "20"), "L": ("V-TSHIRT-L", "7")}


@tagged("post_install", "-at_install")
class TestVariants(StockSyncApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        records = [{"product_id": external_id, "quantity": quantity} for external_id, quantity in SIZES.values()]
        records.append({"product_id": "V-SINGLE", "quantity": "9"})
        cls.api_url = cls._start_mock_api(records)
        cls._set_params(base_url=cls.api_url)
        cls.size = (
            cls.env["product.attribute"]
            .sudo()
            .create({"name": "Size", "value_ids": [(0, 0, {"name": name}) for name in SIZES]})
        )

    def _make_tshirt(self, on_hand=None, with_ids=True):
        """A T-shirt template in three sizes, each size with its external ID
        (and ``on_hand`` units of each, when given)."""
        template = (
            self.env["product.template"]
            .sudo()
            .create(
                {
                    "name": "T-shirt",
                    "is_storable": True,
                    "attribute_line_ids": [
                        (0, 0, {"attribute_id": self.size.id, "value_ids": [(6, 0, self.size.value_ids.ids)]})
                    ],
                }
            )
        )
        variants = {}
        for variant in template.product_variant_ids:
            size = variant.product_template_attribute_value_ids.name
            variants[size] = variant
            if with_ids:
                variant.api_external_id = SIZES[size][0]
            if on_hand:
                self.env["stock.quant"].sudo()._update_available_quantity(variant, self.location, on_hand)
        return template.with_env(self.env), {size: v.with_env(self.env) for size, v in variants.items()}

    def _variant_on_hand(self, variant):
        return variant.with_context(location=self.location.id).qty_available

    def test_the_template_button_syncs_every_size_in_one_run(self):
        template, variants = self._make_tshirt(on_hand=1)
        self.assertFalse(template.api_external_id)
        self.assertEqual(template.api_variant_count, 3)
        template.action_api_sync()
        for size, (_external_id, quantity) in SIZES.items():
            self.assertEqual(self._variant_on_hand(variants[size]), float(quantity), size)
            self.assertEqual(variants[size].api_sync_state, "ok")
        runs = variants["S"].api_last_run_id | variants["M"].api_last_run_id | variants["L"].api_last_run_id
        self.assertEqual(len(runs), 1)
        self.assertEqual((runs.trigger, runs.product_count, runs.changed_count), ("manual", 3, 3))
        self.assertEqual(runs.product_ids, template.product_variant_ids)
        self.assertEqual(runs.product_tmpl_ids, template)
        # Each line names the variant and its template.
        self.assertEqual(runs.line_ids.product_id, template.product_variant_ids)
        self.assertEqual(runs.line_ids.product_tmpl_id, template)
        self.assertEqual(
            sorted(runs.line_ids.mapped("external_id")), sorted(external_id for external_id, _q in SIZES.values())
        )
        # The template summarises its variants'.
        self.assertEqual(template.api_sync_state, "ok")
        self.assertEqual(template.api_last_run_id, runs)
        # One note on the template's page, naming each size.
        note = template.message_ids[0].body
        for variant in variants.values():
            self.assertIn(variant.display_name, note)

    def test_the_template_state_summarises_its_variants(self):
        template, variants = self._make_tshirt()
        self.assertEqual(template.api_sync_state, "never")
        variants["S"].action_api_sync()
        self.assertEqual(variants["S"].api_sync_state, "ok")
        # One size never synced: the product is not synced yet.
        self.assertEqual(template.api_sync_state, "never")
        self.assertFalse(template.api_last_sync_date)
        variants["M"].sudo().api_external_id = "V-UNKNOWN"
        template.action_api_sync()
        self.assertEqual(variants["M"].api_sync_state, "error")
        self.assertEqual(template.api_sync_state, "error")
        self.assertIn("1 of 3 variants in error", template.api_sync_message)
        variants["M"].sudo().api_external_id = SIZES["M"][0]
        template.action_api_sync()
        self.assertEqual(template.api_sync_state, "ok")
        # Its last sync is its variants' oldest.
        self.assertEqual(template.api_last_sync_date, min(template.product_variant_ids.mapped("api_last_sync_date")))

    def test_a_template_with_one_active_variant_takes_its_status_as_it_is(self):
        template, variants = self._make_tshirt(on_hand=1)
        (variants["M"] | variants["L"]).sudo().action_archive()
        variants["S"].action_api_sync()
        self.assertEqual(variants["S"].api_sync_state, "ok")
        for name in STATUS_FIELDS:
            self.assertEqual(template[name], variants["S"][name], name)
        # Active again, a size never synced makes the product not synced yet.
        variants["M"].sudo().action_unarchive()
        variants["S"].action_api_sync()
        self.assertEqual(template.api_sync_state, "never")
        self.assertFalse(template.api_last_sync_date)
        self.assertEqual(template.api_last_run_id, variants["S"].api_last_run_id)

    def test_the_variants_list_action_syncs_the_selected_variants(self):
        template, variants = self._make_tshirt(on_hand=1)
        action = self.env.ref("stock_sync_api.action_product_product_api_sync").sudo()
        self.assertEqual(action.binding_model_id.model, "product.product")
        context = {"active_model": "product.product", "active_ids": (variants["S"] | variants["L"]).ids}
        self.env["ir.actions.server"].with_context(**context).browse(action.id).run()
        self.assertEqual(self._variant_on_hand(variants["S"]), 12)
        self.assertEqual(self._variant_on_hand(variants["M"]), 1)
        self.assertEqual(self._variant_on_hand(variants["L"]), 7)
        self.assertEqual(variants["M"].api_sync_state, "never")

    def test_a_single_variant_product_keeps_its_id_on_the_template(self):
        template = self._make_product("V-SINGLE", on_hand=2)
        variant = template.product_variant_id
        # create hands the template's ID to its variant; the template shows the variant's.
        self.assertEqual(variant.api_external_id, "V-SINGLE")
        self.assertEqual(self.env["product.template"].search([("api_external_id", "=", "V-SINGLE")]), template)
        template.action_api_sync()
        self.assertEqual((template.api_sync_state, variant.api_sync_state), ("ok", "ok"))
        self.assertEqual(template.api_sync_message, variant.api_sync_message)
        self.assertEqual(self._on_hand(template), 9)
        # Written on the template, the ID goes to the variant, and the status starts again.
        template.sudo().api_external_id = "V-OTHER"
        self.assertEqual(variant.api_external_id, "V-OTHER")
        self.assertEqual((template.api_sync_state, variant.api_sync_state), ("never", "never"))

    def test_external_ids_are_unique_among_variants(self):
        _template, variants = self._make_tshirt()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            variants["M"].sudo().api_external_id = SIZES["S"][0]
            variants["M"].flush_recordset()
        # An archived variant keeps its ID, and its uniqueness.
        variants["L"].sudo().active = False
        self.assertEqual(variants["L"].api_external_id, SIZES["L"][0])
        single = self._make_product(False)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            single.product_variant_id.sudo().api_external_id = SIZES["L"][0]
            single.product_variant_id.flush_recordset()
        with self.assertRaises(ValidationError):
            variants["M"].sudo().api_external_id = " V-SPACE"

    def test_excluding_the_template_leaves_out_every_variant_and_a_variant_itself_alone(self):
        template, variants = self._make_tshirt(on_hand=1)
        variants["M"].sudo().api_sync_excluded = True
        self.assertIn("Excluded", variants["M"].api_sync_message)
        template.action_api_sync()
        self.assertEqual(self._variant_on_hand(variants["M"]), 1)
        self.assertEqual(self._variant_on_hand(variants["S"]), 12)
        run = variants["S"].api_last_run_id
        self.assertEqual((run.product_count, run.skipped_count), (2, 1))
        Product = self.env["product.product"]
        self.assertNotIn(variants["M"], Product.search(Product._get_api_sync_domain()))
        template.sudo().api_sync_excluded = True
        self.assertFalse(Product.search(Product._get_api_sync_domain()) & template.product_variant_ids)
        with self.assertRaisesRegex(UserError, "Excluded"):
            template.action_api_sync()

    def test_the_api_unit_is_the_templates(self):
        dozens = self.env.ref("uom.product_uom_dozen")
        template, variants = self._make_tshirt()
        template.sudo().api_uom_id = dozens
        variants["S"].action_api_sync()
        # 12 dozens: 144 units.
        self.assertEqual(self._variant_on_hand(variants["S"]), 144)

    def test_a_variant_tracked_by_lots_is_refused_with_its_reason(self):
        template, variants = self._make_tshirt(on_hand=3)
        template.sudo().tracking = "lot"
        template.action_api_sync()
        for variant in variants.values():
            self.assertEqual(variant.api_sync_state, "error")
            self.assertIn("lots or serial numbers", variant.api_sync_message)
            self.assertEqual(self._variant_on_hand(variant), 3)

    def test_scheduled_round_and_notification_take_variants(self):
        template, variants = self._make_tshirt(on_hand=1)
        self.assertIs(self._run_cron(), True)
        run = variants["L"].api_last_run_id
        self.assertEqual((run.trigger, run.state), ("cron", "done"))
        self.assertEqual(self._variant_on_hand(variants["L"]), 7)
        set_api_quantity(self.api_url, SIZES["M"][0], 25)
        self.addCleanup(set_api_quantity, self.api_url, SIZES["M"][0], SIZES["M"][1])
        accepted, _left_out, unknown = self.env["stock.sync.notification"].sudo()._queue([SIZES["M"][0], "V-NONE"])
        self.assertEqual((accepted, unknown), (1, 1))
        self._run_cron("stock_sync_api.ir_cron_api_sync_notified")
        self.assertEqual(self._variant_on_hand(variants["M"]), 25)
        notified = variants["M"].api_last_run_id
        self.assertEqual((notified.trigger, notified.product_ids), ("notified", variants["M"]))

    def test_the_template_page_lists_its_variants(self):
        arch = self.env["product.template"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="api_sync_variants"', arch)
        variant_arch = self.env["product.product"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="api_sync"', variant_arch)
        list_arch = self.env["product.product"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="api_external_id"', list_arch)
        self.assertIn('name="api_sync_state"', list_arch)


@tagged("post_install", "-at_install")
class TestVariantsTour(FrenchStockManagerMixin, HttpCase):
    """A French stock manager synchronises a T-shirt in three sizes from its
    page, in a real browser, with the real sync-cli and mock-api."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_french_stock_manager()
        cls._clear_external_ids()
        records = [{"product_id": external_id, "quantity": quantity} for external_id, quantity in SIZES.values()]
        cls.api_url = cls._start_mock_api(records)
        cls._set_params(base_url=cls.api_url)
        size = cls.env["product.attribute"].create(
            {"name": "Taille", "value_ids": [(0, 0, {"name": name}) for name in SIZES]}
        )
        cls.template = cls.env["product.template"].create(
            {
                "name": "T-shirt",
                "is_storable": True,
                "attribute_line_ids": [(0, 0, {"attribute_id": size.id, "value_ids": [(6, 0, size.value_ids.ids)]})],
            }
        )
        for variant in cls.template.product_variant_ids:
            variant.api_external_id = SIZES[variant.product_template_attribute_value_ids.name][0]

    def test_a_product_in_three_sizes_synchronised_from_its_page(self):
        self._start_tour_as_manager(
            f"/odoo/action-stock.product_template_action_product/{self.template.id}", "stock_sync_api_tour_variants"
        )
        for variant in self.template.product_variant_ids:
            size = variant.product_template_attribute_value_ids.name
            self.assertEqual(variant.api_sync_state, "ok", size)
            quantity = variant.with_context(location=self.location.id).qty_available
            self.assertEqual(quantity, float(SIZES[size][1]), size)
        self.assertEqual(self.template.api_sync_state, "ok")
