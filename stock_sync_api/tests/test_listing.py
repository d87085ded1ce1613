from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..engine import changes
from .common import StockSyncApiCase, set_api_quantity

CHANGES_CRON = "stock_sync_api.ir_cron_api_sync_changes"

#: How far behind Odoo's clock the API's clock is, in these tests.
API_CLOCK_BEHIND = timedelta(hours=2)

#: When the API's products last changed, before the tests: a day ago.
YESTERDAY = (datetime.now(UTC) - API_CLOCK_BEHIND - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

#: The stock API of these tests, read as a listing of 2 records a page.
LISTED = [
    {"product_id": "L-RAISE", "quantity": "10"},
    {"product_id": "L-SAME", "quantity": "7"},
    {"product_id": "L-ZERO", "quantity": "0"},
    {"product_id": "L-NEG", "quantity": "1", "fault": "negative_quantity"},
    {"product_id": "L-OTHER", "quantity": "4"},
]
for _record in LISTED:
    _record["updated_at"] = YESTERDAY


@tagged("post_install", "-at_install")
class TestListing(StockSyncApiCase):
    """The synchronisation reads the API's listing: a full round, then rounds
    of what changed since, on the API's clock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        cls.api_url = cls._start_mock_api(LISTED, "--clock-offset-secs", str(-int(API_CLOCK_BEHIND.total_seconds())))
        cls._set_params(base_url=cls.api_url, fetch_mode="listing", listing_page_size=2)

    def _catalog(self):
        return {
            "L-RAISE": self._make_product("L-RAISE", on_hand=5),
            "L-SAME": self._make_product("L-SAME", on_hand=7),
            "L-ZERO": self._make_product("L-ZERO", on_hand=3),
            "L-NEG": self._make_product("L-NEG", on_hand=2),
            "L-GONE": self._make_product("L-GONE", on_hand=6),
        }

    def _runs(self, trigger):
        return self.env["stock.sync.run"].sudo().search([("trigger", "=", trigger)], order="id")

    def test_full_round_from_the_listing(self):
        products = self._catalog()
        self.assertIs(self._run_cron(), True)
        run = self._runs("cron")[-1]
        self.assertEqual(run.state, "done")
        self.assertEqual(self._on_hand(products["L-RAISE"]), 10)
        self.assertEqual(self._on_hand(products["L-ZERO"]), 0)
        self.assertEqual(products["L-SAME"].api_sync_message, "Up to date: on hand matches the stock API.")
        # A record the listing gives badly is refused, as fetch refuses it.
        self.assertEqual(products["L-NEG"].api_sync_state, "error")
        self.assertIn("Invalid answer from the stock API", products["L-NEG"].api_sync_message)
        self.assertEqual(self._on_hand(products["L-NEG"]), 2)
        # The run keeps the API's time of its listing, on the API's clock.
        listed_at = datetime.fromisoformat(run.listing_time)
        self.assertAlmostEqual(listed_at, datetime.now(UTC) - API_CLOCK_BEHIND, delta=timedelta(minutes=5))
        self.assertEqual((run.product_count, run.changed_count, run.up_to_date_count), (5, 2, 1))

    def test_product_missing_from_a_complete_listing(self):
        products = self._catalog()
        self._run_cron()
        gone = products["L-GONE"]
        self.assertEqual(gone.api_sync_state, "error")
        self.assertEqual(gone.api_sync_message, "Not in the stock API's listing")
        self.assertEqual(self._on_hand(gone), 6)
        self.assertEqual(self._on_hand(products["L-RAISE"]), 10)

    def test_incomplete_listing_applies_nothing(self):
        url = self._start_mock_api(
            [
                {"product_id": "L-RAISE", "quantity": "10"},
                {"product_id": "L-SAME", "quantity": "7"},
                {"product_id": "L-ZERO", "quantity": "0", "fault": "listing_error_503"},
            ]
        )
        self._set_params(base_url=url)
        products = self._catalog()
        self._run_cron()
        run = self._runs("cron")[-1]
        self.assertEqual((run.state, run.issue), ("failed", "failed"))
        self.assertIn("The stock API's listing is incomplete, nothing was applied", run.failure_message)
        self.assertIn("503", run.failure_message)
        self.assertFalse(run.line_ids)
        for external_id, on_hand in (("L-RAISE", 5), ("L-SAME", 7), ("L-ZERO", 3), ("L-GONE", 6)):
            self.assertEqual(self._on_hand(products[external_id]), on_hand, external_id)
            self.assertEqual(products[external_id].api_sync_state, "never", external_id)
        self.assertFalse(self._inventory_moves(products["L-RAISE"]))

    def _own_api(self):
        """A mock-api of this test's own, whose products it may change."""
        url = self._start_mock_api(LISTED, "--clock-offset-secs", str(-int(API_CLOCK_BEHIND.total_seconds())))
        self._set_params(base_url=url)
        return url

    def test_round_of_changes_takes_only_what_changed_since_on_the_api_clock(self):
        api_url = self._own_api()
        products = self._catalog()
        self._run_cron()
        full = self._runs("cron")[-1]
        # Odoo's stock of L-SAME drifts without the API changing: not a change to ask for.
        self.env["stock.quant"].sudo()._update_available_quantity(
            products["L-SAME"].product_variant_id, self.location, 1
        )
        set_api_quantity(api_url, "L-RAISE", 25)
        self.assertIs(self._run_cron(CHANGES_CRON), True)
        run = self._runs("changes")
        self.assertEqual(len(run), 1)
        self.assertEqual(run.state, "done")
        # Asked since the full round's listing less a minute, on the API's
        # clock (two hours behind Odoo's: on Odoo's, nothing would be listed).
        self.assertEqual(run.product_tmpl_ids, products["L-RAISE"])
        self.assertEqual(self._on_hand(products["L-RAISE"]), 25)
        self.assertEqual(self._on_hand(products["L-SAME"]), 8)
        self.assertGreaterEqual(run.listing_time, full.listing_time)

    def test_round_of_changes_with_nothing_changed_leaves_no_run(self):
        self._own_api()
        self._catalog()
        self._run_cron()
        listings = []

        def recording_list_stock(*args, **kwargs):
            listings.append((kwargs.get("since"), real_list_stock(*args, **kwargs)))
            return listings[-1][1]

        real_list_stock = changes.list_stock
        with patch.object(changes, "list_stock", recording_list_stock):
            self._run_cron(CHANGES_CRON)
        # The API was asked, and listed nothing since the full round: no run.
        [(since, listing)] = listings
        self.assertTrue(since)
        self.assertEqual((listing.complete, listing.results), (True, {}))
        self.assertFalse(self._runs("changes"))

    def test_a_click_does_not_move_the_rounds_of_changes_on(self):
        """A click applies the listing to its products only: what changed
        for the others since the last round is still asked for."""
        api_url = self._own_api()
        products = self._catalog()
        self._run_cron()
        set_api_quantity(api_url, "L-RAISE", 25)
        products["L-SAME"].action_api_sync()
        self.assertFalse(products["L-SAME"].api_last_run_id.listing_time)
        self._run_cron(CHANGES_CRON)
        self.assertEqual(self._runs("changes").product_tmpl_ids, products["L-RAISE"])
        self.assertEqual(self._on_hand(products["L-RAISE"]), 25)

    def test_round_of_changes_without_a_complete_listing_is_a_full_round(self):
        self._own_api()
        products = self._catalog()
        self._run_cron(CHANGES_CRON)
        self.assertFalse(self._runs("changes"))
        self.assertEqual(self._runs("cron").state, "done")
        self.assertEqual(self._on_hand(products["L-RAISE"]), 10)

    def test_the_brake_judges_a_round_of_changes_against_the_catalog(self):
        """A round of changes lists only what changed: the rest of the catalog
        is unchanged by the API's word, and the brake counts it as compared."""
        catalog = {f"L-{n:02}": str(n) for n in range(50)}
        url = self._start_mock_api(
            [{"product_id": pid, "quantity": q, "updated_at": YESTERDAY} for pid, q in catalog.items()]
        )
        self._set_params(base_url=url)
        self._clear_external_ids()
        products = {pid: self._make_product(pid, on_hand=float(q)) for pid, q in catalog.items()}
        self._run_cron()
        changed = list(catalog)[:21]
        for pid in changed:
            set_api_quantity(url, pid, 100)
        self._run_cron(CHANGES_CRON)
        run = self._runs("changes")
        # 21 changed of the 50 compared: under the 50% allowed.
        self.assertEqual((run.state, run.product_count, run.changed_count), ("done", 21, 21))
        self.assertEqual({self._on_hand(products[pid]) for pid in changed}, {100})

    def test_settings_refused_with_their_name(self):
        product = self._make_product("L-RAISE", on_hand=5)
        for key, value in (
            ("listing_records_path", "items"),
            ("fetch_mode", "everything"),
            ("listing_paging", "scroll"),
            ("max_rps", "-1"),
        ):
            self._set_params(**{key: value})
            product.action_api_sync()
            self.assertEqual(product.api_sync_state, "error", key)
            self.assertIn(f"stock_sync_api.{key}", product.api_sync_message)
            self.assertEqual(self._on_hand(product), 5)
            self._set_params(**{key: "listing" if key == "fetch_mode" else ""})
        Settings = self.env["res.config.settings"].sudo()
        with self.assertRaisesRegex(ValidationError, "External ID At must be a JSON pointer"):
            Settings.create({"api_sync_listing_id_field": "sku"})
        with self.assertRaisesRegex(ValidationError, "Changed Since Parameter must be the name of a query parameter"):
            Settings.create({"api_sync_listing_since_param": "updated since"})
        with self.assertRaisesRegex(ValidationError, "Requests per Second must be between 0 and 10000"):
            Settings.create({"api_sync_max_rps": 20000})

    def test_settings_switch_the_rounds_of_changes(self):
        cron = self.env.ref(CHANGES_CRON).sudo()
        Settings = self.env["res.config.settings"].sudo()
        Settings.create({"api_sync_fetch_mode": "listing", "api_sync_listing_records_path": ""}).execute()
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (5, "minutes"))
        # An empty records path is kept as such: the listing is an array of records.
        self.assertFalse(Settings.create({}).api_sync_listing_records_path)
        self.assertEqual(self.env["ir.config_parameter"].sudo().get_param("stock_sync_api.listing_records_path"), " ")
        Settings.create({"api_sync_fetch_mode": "per_product"}).execute()
        self.assertFalse(cron.active)


@tagged("post_install", "-at_install")
class TestExclusion(StockSyncApiCase):
    """A product excluded on its page is left out of every synchronisation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()

    def test_scheduled_round_leaves_it_out(self):
        synced = self._make_product("T-RAISE", on_hand=40)
        excluded = self._make_product("T-LOWER", on_hand=25, api_sync_excluded=True)
        self._run_cron()
        run = synced.api_last_run_id
        self.assertEqual(self._on_hand(synced), 50)
        self.assertEqual(self._on_hand(excluded), 25)
        self.assertEqual((run.product_count, run.skipped_count), (1, 1))
        self.assertFalse(excluded.api_last_run_id)
        self.assertIn("Excluded from the stock API synchronisation", excluded.api_sync_message)

    def test_button_preview_and_list_action_leave_it_out(self):
        excluded = self._make_product("T-LOWER", on_hand=25, api_sync_excluded=True)
        with self.assertRaisesRegex(UserError, "Excluded from the stock API synchronisation"):
            excluded.action_api_sync()
        with self.assertRaisesRegex(UserError, "Excluded from the stock API synchronisation"):
            excluded.action_api_sync_preview()
        synced = self._make_product("T-RAISE", on_hand=40)
        (synced | excluded).action_api_sync()
        run = synced.api_last_run_id
        self.assertEqual((run.product_count, run.skipped_count), (1, 1))
        self.assertEqual(self._on_hand(excluded), 25)
        self.assertEqual(self._on_hand(synced), 50)

    def test_excluding_says_why_and_including_again_syncs(self):
        product = self._make_product("T-RAISE", on_hand=40)
        # Ticked by someone who may edit products.
        product.sudo().api_sync_excluded = True
        self.assertIn("Excluded from the stock API synchronisation", product.api_sync_message)
        product.sudo().api_sync_excluded = False
        product.action_api_sync()
        self.assertEqual((product.api_sync_state, self._on_hand(product)), ("ok", 50))
