"""In listing mode, a click, a preview or a notified run of a few products
asks the API for those products only: with the listing's IDs parameter, else
the per-product endpoint, else the whole listing. Requests are counted in
mock-api's own request log."""

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from odoo.tests import tagged

from .common import StockSyncApiCase

#: The catalog: six products, read as a listing of two a page (three requests).
LISTED = [{"product_id": f"F-{n}", "quantity": str(10 + n)} for n in range(1, 7)]


@tagged("post_install", "-at_install")
class TestListingFew(StockSyncApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        log_dir = Path(tempfile.mkdtemp(prefix="stock_sync_api_test_"))
        cls.addClassCleanup(shutil.rmtree, log_dir, ignore_errors=True)
        cls.log_path = log_dir / "mock-api.log"
        log_file = open(cls.log_path, "w")  # noqa: SIM115 -- mock-api writes it until the class ends
        cls.addClassCleanup(log_file.close)
        cls.api_url = cls._start_mock_api(LISTED, env=dict(os.environ, RUST_LOG="info", NO_COLOR="1"), stderr=log_file)
        cls._set_params(base_url=cls.api_url, fetch_mode="listing", listing_page_size=2)

    def setUp(self):
        super().setUp()
        self.products = {record["product_id"]: self._make_product(record["product_id"]) for record in LISTED}

    def _requests_during(self, func):
        """The URIs mock-api served while ``func`` ran, and what it returned."""
        before = self._served()
        result = func()
        # mock-api logs a request once it has answered it: let the last line land.
        time.sleep(0.2)
        return self._served()[len(before) :], result

    def _served(self):
        return re.findall(r"uri=(\S+) version", self.log_path.read_text())

    def test_a_click_asks_the_per_product_endpoint(self):
        uris, _action = self._requests_during(self.products["F-2"].action_api_sync)
        self.assertEqual(uris, ["/api/stock/F-2"])
        self.assertEqual(self._on_hand(self.products["F-2"]), 12)

    def test_a_click_asks_the_listing_for_its_product_with_the_ids_parameter(self):
        self._set_params(listing_ids_param="ids")
        uris, _action = self._requests_during(self.products["F-3"].action_api_sync)
        self.assertEqual(len(uris), 1, uris)
        self.assertRegex(uris[0], r"^/api/stock\?.*ids=F-3")
        self.assertEqual(self._on_hand(self.products["F-3"]), 13)

    def test_ids_per_request_splits_a_selection(self):
        self._set_params(listing_ids_param="ids", listing_ids_per_request=2)
        selection = self.products["F-1"] | self.products["F-4"] | self.products["F-5"]
        uris, action = self._requests_during(selection.action_api_sync_preview)
        self.assertEqual(len(uris), 2, uris)
        run = self.env["stock.sync.run"].browse(action["res_id"])
        self.assertEqual((run.trigger, run.state, run.changed_count), ("preview", "planned", 3))

    def test_a_product_the_listing_does_not_answer_is_not_found(self):
        self._set_params(listing_ids_param="ids")
        unknown = self._make_product("F-UNKNOWN", on_hand=4)
        (unknown | self.products["F-1"]).action_api_sync()
        self.assertEqual(self._on_hand(self.products["F-1"]), 11)
        self.assertEqual(unknown.api_sync_state, "error")
        self.assertIn("the stock API's listing does not have this product", unknown.api_sync_message)
        self.assertEqual(self._on_hand(unknown), 4)

    def test_without_either_a_click_reads_the_whole_listing(self):
        self._set_params(endpoint=" ")
        uris, _action = self._requests_during(self.products["F-6"].action_api_sync)
        self.assertEqual(len(uris), 3, uris)
        self.assertTrue(all(uri.startswith("/api/stock?") for uri in uris), uris)
        self.assertEqual(self._on_hand(self.products["F-6"]), 16)

    def test_a_notified_run_asks_for_its_products_only(self):
        self._set_params(listing_ids_param="ids")
        # A notified run (of products queued before the switch to listing
        # mode: a notification in listing mode triggers a round of changes).
        run = self.env["stock.sync.run"]._start("notified", self.products["F-1"] | self.products["F-2"])
        uris, _outcomes = self._requests_during(lambda: self._sync(run.product_ids, run))
        self.assertEqual(len(uris), 1, uris)
        self.assertEqual((run.state, run.changed_count), ("done", 2))

    def test_a_selection_that_the_listing_reads_in_fewer_requests_reads_the_listing(self):
        self._set_params(listing_ids_param="ids", listing_ids_per_request=1)
        # Four products, one a request: more than the listing's three pages.
        selection = self.env["product.template"].concat(*list(self.products.values())[:4])
        uris, _action = self._requests_during(selection.action_api_sync)
        self.assertEqual(len(uris), 3, uris)
        self.assertFalse([uri for uri in uris if "ids=" in uri], uris)

    def test_the_scheduled_round_reads_the_whole_listing(self):
        self._set_params(listing_ids_param="ids")
        uris, _result = self._requests_during(self._run_cron)
        self.assertEqual(len(uris), 3, uris)
        self.assertEqual(self._on_hand(self.products["F-5"]), 15)

    def test_an_empty_endpoint_is_refused_in_per_product_mode(self):
        self._set_params(endpoint=" ", fetch_mode="per_product")
        self.products["F-1"].action_api_sync()
        self.assertEqual(self.products["F-1"].api_sync_state, "error")
        self.assertIn("one request per product needs", self.products["F-1"].api_sync_message)
