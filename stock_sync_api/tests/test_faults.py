import logging

from odoo.tests import tagged

from .common import StockSyncApiCase

TOKEN = "tok-3f9c2a7e51"

#: Every fault mock-api can inject, with the status message the product must end with.
FAULTS = {
    "error_500": "The stock API answered with an error: ",
    "invalid_json": "Invalid answer from the stock API: ",
    "wrong_product_id": "Invalid answer from the stock API: ",
    "negative_quantity": "Invalid answer from the stock API: ",
    "quantity_not_number": "Invalid answer from the stock API: ",
    "empty_body": "Invalid answer from the stock API: ",
    "html_page": "Invalid answer from the stock API: ",
    "huge_body": "Invalid answer from the stock API: ",
    "missing_quantity": "Invalid answer from the stock API: ",
    "endless_body": "The stock API did not answer in time: ",
    "slow": "The stock API did not answer in time: ",
}

#: Faults that pass on the retry: the product gets the API's quantity.
PASSING_FAULTS = ("error_503_once", "rate_limited_once")


@tagged("post_install", "-at_install")
class TestFaultMatrix(StockSyncApiCase):
    """Each fault of mock-api, end to end through Odoo, in one batch with good products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        products = [{"product_id": f"F-{fault}", "quantity": "9", "fault": fault} for fault in FAULTS]
        products += [{"product_id": f"F-{fault}", "quantity": "9", "fault": fault} for fault in PASSING_FAULTS]
        products += [
            {"product_id": "F-GOOD-1", "quantity": "11"},
            {"product_id": "F-GOOD-2", "quantity": 12.5},
            {"product_id": "F-HUGE-QUANTITY", "quantity": "1000000000000"},
        ]
        cls._set_params(base_url=cls._start_mock_api(products), retries=1, timeout=1, concurrency=16)

    def test_every_fault_in_one_batch(self):
        faulty = {fault: self._make_product(f"F-{fault}", on_hand=3) for fault in FAULTS}
        passing = {fault: self._make_product(f"F-{fault}", on_hand=3) for fault in PASSING_FAULTS}
        good = self._make_product("F-GOOD-1", on_hand=3)
        huge = self._make_product("F-HUGE-QUANTITY", on_hand=3)
        templates = self.env["product.template"].concat(good, *faulty.values(), *passing.values(), huge)
        with self.assertLogs("odoo.addons.stock_sync_api", level=logging.WARNING) as logs:
            templates.action_api_sync()
        for fault, message in FAULTS.items():
            product = faulty[fault]
            with self.subTest(fault=fault):
                self.assertEqual(product.api_sync_state, "error")
                self.assertTrue(product.api_sync_message.startswith(message), product.api_sync_message)
                self.assertIn(f"/api/stock/F-{fault}", product.api_sync_message)
                self.assertEqual(self._on_hand(product), 3)
                self.assertFalse(self._inventory_moves(product))
                # The failure is logged with the product and its external ID.
                self.assertTrue(any(f"external ID 'F-{fault}'" in line for line in logs.output))
        for fault, product in passing.items():
            with self.subTest(fault=fault):
                self.assertEqual(product.api_sync_state, "ok")
                self.assertEqual(self._on_hand(product), 9)
        self.assertEqual(self._on_hand(good), 11)
        self.assertEqual(huge.api_sync_state, "error")
        self.assertIn("above the limit", huge.api_sync_message)
        self.assertEqual(self._on_hand(huge), 3)

    def test_fractional_quantity(self):
        product = self._make_product("F-GOOD-2", on_hand=3)
        product.action_api_sync()
        self.assertEqual(self._on_hand(product), 12.5)
        self.assertEqual(product.api_sync_message, "On hand 3 -> 12.5")


@tagged("post_install", "-at_install")
class TestToken(StockSyncApiCase):
    """The token reaches the API, and nowhere else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        url = cls._start_mock_api([{"product_id": "K-1", "quantity": "8"}], "--token", TOKEN)
        cls._set_params(base_url=url)

    def test_right_token_syncs(self):
        self._set_params(token=TOKEN)
        product = self._make_product("K-1", on_hand=2)
        product.action_api_sync()
        self.assertEqual(self._on_hand(product), 8)
        self.assertNotIn(TOKEN, "".join(product.message_ids.mapped("body")))

    def test_wrong_or_missing_token_fails_without_showing_it(self):
        product = self._make_product("K-1", on_hand=2)
        for token in ("wrong-" + TOKEN, False):
            self._set_params(token=token or "")
            with self.assertLogs("odoo.addons.stock_sync_api", level=logging.DEBUG) as logs:
                action = product.action_api_sync()
            self.assertEqual(product.api_sync_state, "error")
            self.assertIn("401", product.api_sync_message)
            self.assertEqual(self._on_hand(product), 2)
            for text in (product.api_sync_message, str(action), *logs.output):
                self.assertNotIn(TOKEN, text)
