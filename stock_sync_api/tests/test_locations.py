from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.modules import module
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..engine import SyncRound
from ..synccli import parse_listing
from .common import StockSyncApiCase, put_api_stock
from .test_tour import FrenchStockManagerMixin


def located(external_id, **quantities):
    return {
        "product_id": external_id,
        "locations": [{"location": code.replace("_", "-"), "quantity": str(qty)} for code, qty in quantities.items()],
    }


#: What the stock API says, per location (mock-api's data file).
LOCATED = [
    located("L-BOTH", PARIS=30, LYON=20),
    located("L-MISSING", PARIS=5),
    located("L-UNMAPPED", PARIS=1, MARS=4, VENUS=0),
    {"product_id": "L-NOLOC", "quantity": "5"},
    located("L-CODES", PARIS=2, LYON=3, LYON_B=4),
    located("L-SHELF", PARIS=35),
    located("L-ZERO", PARIS=0, LYON=0),
    located("L-SAME", PARIS=6, LYON=6),
    located("L-DROP-PARIS", PARIS=0, LYON=9),
]


class MappedLocationsCase(StockSyncApiCase):
    """The main company's Paris (WH/Stock) and Lyon warehouses, mapped to
    the API's PARIS, and to LYON and LYON-B."""

    @classmethod
    def _map_locations(cls):
        cls.main = cls.env.company
        Warehouse = cls.env["stock.warehouse"].sudo()
        cls.lyon_warehouse = Warehouse.create({"name": "Lyon", "code": "LYN", "company_id": cls.main.id})
        cls.paris = cls.location
        cls.lyon = cls.lyon_warehouse.lot_stock_id
        Mapping = cls.env["stock.sync.location"].sudo().with_context(active_test=False)
        # The demo's mappings (another company's) use the same codes.
        Mapping.search([]).unlink()
        cls.mappings = Mapping.create(
            [
                {"code": "PARIS", "location_id": cls.paris.id},
                {"code": "LYON", "location_id": cls.lyon.id},
                {"code": "LYON-B", "location_id": cls.lyon.id},
            ]
        )

    def _product(self, external_id, paris=0.0, lyon=0.0, **values):
        template = self._make_product(external_id, on_hand=paris, **values)
        if lyon:
            self.env["stock.quant"].sudo()._update_available_quantity(template.product_variant_id, self.lyon, lyon)
        return template

    def _at(self, template, location):
        return template.product_variant_id.with_context(location=location.id).sudo().qty_available

    def _lines(self, run, template):
        return run.line_ids.filtered(lambda line: line.product_tmpl_id == template).sorted("location_id")


@tagged("post_install", "-at_install")
class TestLocations(MappedLocationsCase):
    """A company that maps the stock API's locations gets each location's own quantity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        cls.located_api = cls._start_mock_api(LOCATED)
        cls._set_params(base_url=cls.located_api)
        cls._map_locations()

    # ------------------------------------------------------------------
    # Applying per location
    # ------------------------------------------------------------------

    def test_each_mapped_location_gets_its_quantity(self):
        product = self._product("L-BOTH", paris=30, lyon=10)
        run = self.env["stock.sync.run"]._start("manual", product)
        self._sync(product, run)
        self.assertEqual(product.api_sync_state, "ok", product.api_sync_message)
        self.assertEqual((self._at(product, self.paris), self._at(product, self.lyon)), (30, 20))
        # One line per location changed: Paris did not change.
        [line] = self._lines(run, product)
        self.assertEqual(
            (line.location_id, line.on_hand, line.api_quantity, line.state), (self.lyon, 10, 20, "applied")
        )
        self.assertEqual(line.move_id.location_dest_id, self.lyon)
        self.assertEqual(line.move_id.product_qty, 10)
        self.assertEqual(product.api_sync_message, "LYN/Stock 10 -> 20, WH/Stock 30 -> 30 Units")
        self.assertEqual((run.changed_count, run.up_to_date_count, run.error_count), (1, 0, 0))
        # The product's page says where its stock changed.
        self.assertIn("LYN/Stock", product.message_ids[0].body)

    def test_several_locations_changed_in_one_apply(self):
        product = self._product("L-BOTH", paris=12, lyon=0)
        same = self._product("L-SAME", paris=6, lyon=6)
        run = self.env["stock.sync.run"]._start("manual", product | same)
        self._sync(product | same, run)
        self.assertEqual((self._at(product, self.paris), self._at(product, self.lyon)), (30, 20))
        lines = self._lines(run, product)
        self.assertEqual(lines.mapped("location_id"), self.paris | self.lyon)
        self.assertEqual(sorted(lines.mapped("difference")), [18, 20])
        self.assertEqual(len(lines.move_id), 2)
        self.assertEqual(same.api_sync_message, "Up to date: on hand matches the stock API.")
        self.assertFalse(self._lines(run, same))
        self.assertEqual((run.changed_count, run.up_to_date_count), (1, 1))

    def test_mapped_code_missing_from_the_answer_is_zero_there(self):
        product = self._product("L-MISSING", paris=5, lyon=7)
        run = self.env["stock.sync.run"]._start("manual", product)
        self._sync(product, run)
        self.assertEqual((self._at(product, self.paris), self._at(product, self.lyon)), (5, 0))
        [line] = self._lines(run, product)
        self.assertEqual((line.location_id, line.api_quantity), (self.lyon, 0))

    def test_several_codes_of_one_location_add_up(self):
        product = self._product("L-CODES", paris=2, lyon=1)
        self._sync(product)
        self.assertEqual((self._at(product, self.paris), self._at(product, self.lyon)), (2, 7))

    def test_on_hand_compared_below_the_location_and_applied_at_it(self):
        shelf = self.env["stock.location"].sudo().create({"name": "Shelf L", "location_id": self.paris.id})
        product = self._product("L-SHELF", paris=26)
        self.env["stock.quant"].sudo()._update_available_quantity(product.product_variant_id, shelf, 4)
        run = self.env["stock.sync.run"]._start("manual", product)
        self._sync(product, run)
        self.assertEqual(self._at(product, self.paris), 35)
        self.assertEqual(self._at(product, shelf), 4)
        [line] = self._lines(run, product)
        self.assertEqual((line.on_hand, line.api_quantity), (30, 35))
        self.assertEqual(line.move_id.location_dest_id, self.paris)

    def test_answer_without_locations_is_the_products_error(self):
        product = self._product("L-NOLOC", paris=2)
        both = self._product("L-BOTH", paris=30, lyon=10)
        run = self.env["stock.sync.run"]._start("manual", product | both)
        self._sync(product | both, run)
        self.assertEqual(product.api_sync_state, "error")
        self.assertIn("no quantity per location", product.api_sync_message)
        self.assertEqual(self._at(product, self.paris), 2)
        self.assertFalse(self._inventory_moves(product))
        [line] = self._lines(run, product)
        self.assertEqual((line.state, line.location_id.id), ("error", False))
        # The other products go on.
        self.assertEqual(both.api_sync_state, "ok")
        self.assertEqual((run.error_count, run.changed_count), (1, 1))

    def test_unmapped_codes_are_named_once_per_run(self):
        unmapped = self._product("L-UNMAPPED", paris=1)
        both = self._product("L-BOTH", paris=30, lyon=20)
        self._set_params(batch_size=1)
        run = self.env["stock.sync.run"]._start("manual", unmapped | both)
        with self.assertLogs("odoo.addons.stock_sync_api.models.stock_sync_run", "WARNING") as logs:
            self._sync(unmapped | both, run)
        # Never an error: the mapped locations are synced.
        self.assertEqual(unmapped.api_sync_state, "ok", unmapped.api_sync_message)
        self.assertEqual((run.state, run.error_count), ("done", 0))
        self.assertEqual(run.unmapped_location_counts, {"MARS": 1, "VENUS": 0})
        notes = run.message_ids.filtered(lambda message: "MARS" in message.body)
        self.assertEqual(len(notes), 1)
        self.assertIn("MARS: 1 products with stock there", notes.body)
        self.assertIn("VENUS: 0 products with stock there", notes.body)
        self.assertIn("MARS (1 products with stock)", "\n".join(logs.output))

    def test_preview_plans_each_location(self):
        product = self._product("L-BOTH", paris=10, lyon=10)
        run = self.env["stock.sync.run"]._start("preview", product)
        self._sync(product, run)
        self.assertEqual(run.state, "planned")
        self.assertEqual((self._at(product, self.paris), self._at(product, self.lyon)), (10, 10))
        lines = self._lines(run, product)
        self.assertEqual(lines.mapped("state"), ["planned", "planned"])
        self.assertEqual(lines.mapped("location_id"), self.paris | self.lyon)
        self.assertFalse(self._inventory_moves(product))

    def test_brake_counts_a_product_once_over_its_locations(self):
        self._set_params(hold_min_products=1, hold_change_percent=50, hold_zero_percent=100)
        changed = self._product("L-BOTH", paris=1, lyon=1)
        same = self._product("L-SAME", paris=6, lyon=6)
        run = self.env["stock.sync.run"]._start("manual", changed | same)
        self._sync(changed | same, run)
        # One product of two changes (in two locations): 50%, not more.
        self.assertEqual((run.state, run.hold_reason, run.changed_count), ("done", False, 1))
        self.assertEqual(len(self._lines(run, changed)), 2)

    def test_brake_judges_a_drop_to_zero_over_the_locations_together(self):
        self._set_params(hold_min_products=1, hold_change_percent=100, hold_zero_percent=40)
        partly = self._product("L-DROP-PARIS", paris=5, lyon=9)
        same = self._product("L-SAME", paris=6, lyon=6)
        run = self.env["stock.sync.run"]._start("manual", partly | same)
        self._sync(partly | same, run)
        # Paris drops to zero, not the product: nothing held.
        self.assertEqual((run.state, run.zero_count), ("done", 0))
        self.assertEqual(self._at(partly, self.paris), 0)

        zero = self._product("L-ZERO", paris=5, lyon=5)
        run = self.env["stock.sync.run"]._start("manual", zero | same)
        self._sync(zero | same, run)
        self.assertEqual(run.state, "held")
        self.assertIn("1 of the 2 products compared would drop to zero", run.hold_reason)
        self.assertEqual((self._at(zero, self.paris), self._at(zero, self.lyon)), (5, 5))

    def test_round_of_changes_leaves_locations_not_listed(self):
        """A listing of changes read per location gives only the locations that changed."""
        product = self._product("L-BOTH", paris=30, lyon=10)
        self._set_params(fetch_mode="listing")
        stdout = (
            '{"external_id": "L-BOTH", "status": "ok", "quantity": 12.0, "location": "LYON"}\n'
            '{"listing": "complete", "records": 1, "pages": 1, "server_time": "2026-12-04T10:00:00Z"}\n'
        )
        listing = parse_listing(stdout, partial=True)
        run = self.env["stock.sync.run"]._start("changes", product)
        SyncRound(run, listing=listing).sync(product)
        # LYON-B maps to Lyon too, and is not listed: Lyon's sum is not known.
        self.assertEqual(product.api_sync_state, "error")
        self.assertIn("only some of the API locations mapped to LYN/Stock (LYON, LYON-B)", product.api_sync_message)
        self.assertEqual((self._at(product, self.paris), self._at(product, self.lyon)), (30, 10))

        self.mappings.filtered(lambda mapping: mapping.code == "LYON-B").sudo().unlink()
        run = self.env["stock.sync.run"]._start("changes", product)
        SyncRound(run, listing=listing).sync(product)
        self.assertEqual(product.api_sync_state, "ok", product.api_sync_message)
        self.assertEqual((self._at(product, self.paris), self._at(product, self.lyon)), (30, 12))
        self.assertEqual(product.api_sync_message, "LYN/Stock 10 -> 12 Units")

    def test_company_without_mappings_syncs_the_total(self):
        with patch.object(module, "current_test", False):
            other = self.env["res.company"].sudo().create({"name": "GlobalShop Belgium"})
        manager = new_test_user(
            self.env(su=True),
            login="loc_manager_both",
            groups="base.group_user,stock.group_stock_manager,base.group_multi_company",
            company_id=self.main.id,
            company_ids=[(6, 0, (self.main | other).ids)],
        )
        with Form(self.env["stock.warehouse"].with_user(manager).with_company(other)) as form:
            form.name = "Brussels"
            form.code = "BRU"
        brussels = form.record.lot_stock_id
        product = self._make_product("L-BOTH", company_id=other.id)
        self.env["stock.quant"].sudo()._update_available_quantity(product.product_variant_id, brussels, 4)
        env = self.env(user=manager)
        run = env["stock.sync.run"]._start("manual", product)
        self._sync(product.with_env(env), run)
        self.assertEqual(product.api_sync_state, "ok", product.api_sync_message)
        self.assertEqual(self._at(product, brussels), 50)
        [line] = run.line_ids
        self.assertEqual((line.location_id, line.on_hand, line.api_quantity), (brussels, 4, 50))
        self.assertFalse(run.unmapped_location_counts)

        # A listing of changes read per location gives no total: nothing is applied.
        self._set_params(fetch_mode="listing")
        stdout = (
            '{"external_id": "L-BOTH", "status": "ok", "quantity": 3.0, "location": "LYON"}\n'
            '{"listing": "complete", "records": 1, "pages": 1, "server_time": "2026-12-04T10:00:00Z"}\n'
        )
        run = env["stock.sync.run"]._start("changes", product)
        SyncRound(run, listing=parse_listing(stdout, partial=True)).sync(product.with_env(env))
        self.assertEqual(product.api_sync_state, "error")
        self.assertIn("its total is not known", product.api_sync_message)
        self.assertEqual(self._at(product, brussels), 50)

    # ------------------------------------------------------------------
    # The mappings
    # ------------------------------------------------------------------

    def test_code_follows_the_external_id_rules(self):
        Mapping = self.env["stock.sync.location"]
        for code in (" PARIS", "PA\u200bRIS", "..", "x" * 256):
            with self.subTest(code=code), self.assertRaises(ValidationError), self.env.cr.savepoint():
                Mapping.create({"code": code, "location_id": self.lyon.id})

    @mute_logger("odoo.sql_db")
    def test_code_is_unique(self):
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env["stock.sync.location"].create({"code": "PARIS", "location_id": self.lyon.id})

    def test_location_must_be_internal_and_not_inside_another_mapped(self):
        Mapping = self.env["stock.sync.location"]
        shelf = self.env["stock.location"].sudo().create({"name": "Shelf M", "location_id": self.paris.id})
        with self.assertRaisesRegex(ValidationError, "inside"), self.env.cr.savepoint():
            Mapping.create({"code": "SHELF", "location_id": shelf.id})
        customers = self.env.ref("stock.stock_location_customers")
        with self.assertRaisesRegex(ValidationError, "internal"), self.env.cr.savepoint():
            Mapping.create({"code": "CUSTOMERS", "location_id": customers.id})
        mapping = Mapping.create({"code": "LYON-C", "location_id": self.lyon.id})
        self.assertEqual(mapping.company_id, self.main)

    def test_stock_users_read_managers_write(self):
        Mapping = self.env["stock.sync.location"]
        as_user = Mapping.with_user(self.stock_user)
        self.assertEqual(as_user.search([]), self.mappings)
        with self.assertRaises(AccessError):
            as_user.create({"code": "NICE", "location_id": self.lyon.id})
        with self.assertRaises(AccessError):
            self.mappings[0].with_user(self.stock_user).write({"code": "NICE"})
        with self.assertRaises(AccessError):
            Mapping.with_user(self.internal_user).search([])
        mapping = Mapping.with_user(self.stock_manager).create({"code": "NICE", "location_id": self.lyon.id})
        mapping.write({"code": "NIZZA"})
        mapping.unlink()

    def test_each_company_sees_its_own_mappings(self):
        with patch.object(module, "current_test", False):
            other = self.env["res.company"].sudo().create({"name": "GlobalShop Spain"})
        manager_other = new_test_user(
            self.env(su=True),
            login="loc_manager_spain",
            groups="base.group_user,stock.group_stock_manager",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        with Form(self.env["stock.warehouse"].with_user(manager_other).with_company(other)) as form:
            form.name = "Madrid"
            form.code = "MAD"
        madrid = form.record.lot_stock_id
        Mapping = self.env["stock.sync.location"].with_user(manager_other)
        own = Mapping.create({"code": "MADRID", "location_id": madrid.id})
        self.assertEqual(Mapping.search([]), own)
        self.assertEqual(own.company_id, other)
        # Creating a company gave its creator access to it: a user of the main company only.
        self.assertNotIn(own, self.env["stock.sync.location"].with_user(self.stock_user).search([]))


@tagged("post_install", "-at_install")
class TestLocationsTour(FrenchStockManagerMixin, HttpCase):
    """A French stock manager maps the stock API's locations in a real browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_french_stock_manager()
        Mapping = cls.env["stock.sync.location"].sudo().with_context(active_test=False)
        Mapping.search([]).unlink()
        cls.lyon = cls.env["stock.warehouse"].sudo().create({"name": "Lyon", "code": "LYN"}).lot_stock_id
        Mapping.create({"code": "PARIS", "location_id": cls.location.id})

    def test_map_a_location(self):
        self._start_tour_as_manager(
            "/odoo/action-stock_sync_api.action_stock_sync_location", "stock_sync_api_tour_locations"
        )
        mapping = self.env["stock.sync.location"].search([("code", "=", "MARSEILLE")])
        self.assertEqual((mapping.location_id, mapping.company_id), (self.lyon, self.env.company))


#: When the products of the levels listing last changed: a day ago.
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@tagged("post_install", "-at_install")
class TestLocationsListedPerLevel(MappedLocationsCase):
    """An API that lists one record per product and location (Shopify's
    inventory levels, read with the *Location At* setting), end to end: the
    real sync-cli reads mock-api's ``/api/levels`` two records a page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        cls._map_locations()

    def setUp(self):
        super().setUp()
        levels = [
            located("L-BOTH", PARIS=30, LYON=20),
            located("L-MISSING", PARIS=5),
            located("L-UNMAPPED", PARIS=1, MARS=4),
        ]
        for record in levels:
            record["updated_at"] = YESTERDAY
        # mock-api's own, whose stock the test changes.
        self.api_url = self._start_mock_api(levels)
        self._set_params(
            base_url=self.api_url,
            fetch_mode="listing",
            listing_endpoint="/api/levels",
            listing_location_field="/location",
            listing_page_size=2,
        )

    def _runs(self, trigger):
        return self.env["stock.sync.run"].sudo().search([("trigger", "=", trigger)], order="id")

    def test_full_round_sets_each_mapped_location_from_its_records(self):
        both = self._product("L-BOTH", paris=30, lyon=10)
        missing = self._product("L-MISSING", paris=5, lyon=7)
        unmapped = self._product("L-UNMAPPED", paris=3)
        gone = self._product("L-GONE", paris=6)
        self.assertIs(self._run_cron(), True)
        run = self._runs("cron")[-1]
        self.assertEqual(run.state, "done")
        self.assertEqual((self._at(both, self.paris), self._at(both, self.lyon)), (30, 20))
        # A mapped location a complete listing gives no record for is 0 there.
        self.assertEqual((self._at(missing, self.paris), self._at(missing, self.lyon)), (5, 0))
        self.assertEqual(self._at(unmapped, self.paris), 1)
        self.assertEqual(run.unmapped_location_counts, {"MARS": 1})
        # One line per location changed.
        [line] = self._lines(run, both)
        self.assertEqual((line.location_id, line.on_hand, line.api_quantity), (self.lyon, 10, 20))
        [line] = self._lines(run, missing)
        self.assertEqual((line.location_id, line.on_hand, line.api_quantity), (self.lyon, 7, 0))
        # A product with no record at all is not in the listing: it keeps its stock.
        self.assertEqual(gone.api_sync_state, "error")
        self.assertEqual(gone.api_sync_message, "Not in the stock API's listing")
        self.assertEqual(self._at(gone, self.paris), 6)
        self.assertEqual((run.changed_count, run.up_to_date_count, run.error_count), (3, 0, 1))

    def test_round_of_changes_sets_only_the_locations_listed(self):
        # Lyon's sum is known from LYON alone (see test_round_of_changes_leaves_locations_not_listed).
        self.mappings.filtered(lambda mapping: mapping.code == "LYON-B").sudo().unlink()
        both = self._product("L-BOTH", paris=30, lyon=20)
        missing = self._product("L-MISSING", paris=5)
        self._run_cron()
        self.assertEqual(self._runs("cron")[-1].state, "done")
        # Paris drifts in Odoo; in the API, only Lyon changes.
        self.env["stock.quant"].sudo()._update_available_quantity(both.product_variant_id, self.paris, 1)
        put_api_stock(
            self.api_url,
            "L-BOTH",
            {"locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": "25"}]},
        )
        self.assertIs(self._run_cron("stock_sync_api.ir_cron_api_sync_changes"), True)
        run = self._runs("changes")
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.product_tmpl_ids, both)
        # Lyon is set; Paris, not listed as changed, is left as it is.
        self.assertEqual((self._at(both, self.paris), self._at(both, self.lyon)), (31, 25))
        [line] = self._lines(run, both)
        self.assertEqual((line.location_id, line.on_hand, line.api_quantity), (self.lyon, 20, 25))
        self.assertEqual(both.api_sync_message, "LYN/Stock 20 -> 25 Units")
        self.assertEqual(self._at(missing, self.paris), 5)
