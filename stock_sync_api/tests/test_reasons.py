"""A stock manager reads why a product failed in their own language:
sync-cli's reason code is worded by the addon, and its English sentence
(with the URL) stays in the run line's details and the log."""

from odoo.tests import tagged

from ..engine import messages
from ..synccli import FetchResult
from .common import StockSyncApiCase

#: Every fault of the tests' mock-api that answers, and the reason sync-cli gives it.
FAULTS = {
    "T-NEG": "quantity_negative",
    "T-JSON": "not_json",
    "T-WRONG": "product_id_mismatch",
    "T-HTML": "body_html",
    "T-500": "server_error",
    "T-NOT-IN-API": "not_found",
}


@tagged("post_install", "-at_install")
class TestReasons(StockSyncApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        cls.env["res.lang"].sudo()._activate_lang("fr_FR")
        cls.env["ir.module.module"].sudo().search([("name", "in", ("uom", "stock_sync_api"))])._update_translations(
            ["fr_FR"], overwrite=True
        )

    def _sync_faults(self, lang):
        products = {external_id: self._make_product(external_id, on_hand=3) for external_id in FAULTS}
        templates = self.env["product.template"].concat(*products.values())
        templates.with_context(lang=lang).action_api_sync()
        return products

    def test_each_reason_worded_in_french_without_the_url(self):
        products = self._sync_faults("fr_FR")
        self.assertEqual(
            products["T-NEG"].api_sync_message, "Réponse invalide de l'API de stock : la quantité -5 est négative"
        )
        self.assertEqual(
            products["T-WRONG"].api_sync_message,
            "Réponse invalide de l'API de stock : la réponse concerne le produit GS-1001, et non T-WRONG",
        )
        self.assertEqual(
            products["T-NOT-IN-API"].api_sync_message,
            "Introuvable dans l'API de stock : l'API de stock ne connaît pas ce produit",
        )
        for external_id, product in products.items():
            self.assertEqual(product.api_sync_state, "error", external_id)
            self.assertNotIn("http://", product.api_sync_message, external_id)
            self.assertEqual(self._on_hand(product), 3, external_id)

    def test_the_english_sentence_stays_in_the_line_details(self):
        products = self._sync_faults("en_US")
        self.assertEqual(
            products["T-NEG"].api_sync_message, "Invalid answer from the stock API: the quantity -5 is negative"
        )
        self.assertEqual(
            products["T-500"].api_sync_message,
            "The stock API answered with an error: the stock API had an internal error (HTTP 500)",
        )
        run = products["T-NEG"].api_last_run_id
        for external_id in FAULTS:
            line = run.line_ids.filtered(lambda line, external_id=external_id: line.external_id == external_id)
            self.assertIn(f"{self.api_url}/api/stock/{external_id}", line.details, external_id)
            self.assertNotEqual(line.details, line.message)

    def test_the_quantities_per_location_worded_in_french(self):
        located = [{"location": "PARIS", "quantity": "6"}, {"location": "LYON", "quantity": "4"}]
        self._set_params(
            base_url=self._start_mock_api(
                [
                    {"product_id": "T-SUM", "locations": located, "fault": "locations_sum_mismatch"},
                    {"product_id": "T-TWICE", "locations": located, "fault": "location_twice"},
                ]
            )
        )
        wrong_sum = self._make_product("T-SUM", on_hand=3)
        twice = self._make_product("T-TWICE", on_hand=3)
        (wrong_sum | twice).with_context(lang="fr_FR").action_api_sync()
        self.assertEqual(
            wrong_sum.api_sync_message,
            "Réponse invalide de l'API de stock : la quantité 11 n'est pas la somme des quantités par emplacement (10)",
        )
        self.assertEqual(
            twice.api_sync_message,
            "Réponse invalide de l'API de stock : l'emplacement PARIS est donné deux fois : aucune de ses quantités "
            "n'est utilisée",
        )
        self.assertEqual((self._on_hand(wrong_sum), self._on_hand(twice)), (3, 3))

    def test_an_unknown_reason_falls_back_to_the_english_sentence(self):
        result = FetchResult("X", "invalid_response", error="GET ... said something new", reason="a_new_code")
        self.assertEqual(
            messages.fetch_error_message(self.env, result),
            "Invalid answer from the stock API: GET ... said something new",
        )
        # A reason whose wording needs a value the line lacks also falls back.
        result = FetchResult("X", "http_error", error="GET ... answered 500", reason="server_error")
        self.assertEqual(
            messages.fetch_error_message(self.env, result), "The stock API answered with an error: GET ... answered 500"
        )
