from odoo.tests import HttpCase, new_test_user, tagged

from .common import StockSyncApiMixin

#: Modules whose French texts the tours show: the addon's, and the product form around it.
FRENCH_MODULES = ("web", "product", "stock", "stock_sync_api")


@tagged("post_install", "-at_install")
class TestTour(StockSyncApiMixin, HttpCase):
    """A French stock manager runs the synchronisation from the product form, in a real browser.

    The HTTP requests of the browser run in the test's transaction, and the
    button runs the real sync-cli against the real mock-api.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_stock_sync_api()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"].search(
            [("name", "in", FRENCH_MODULES), ("state", "=", "installed")]
        )._update_translations(["fr_FR"])
        cls.manager = new_test_user(
            cls.env,
            login="tour_stock_manager",
            password="tour_stock_manager",
            # An inventory administrator only: no right to edit products.
            groups="base.group_user,stock.group_stock_manager",
            name="Gestionnaire de stock",
            lang="fr_FR",
            tz="Europe/Paris",
        )

    def _start_on_form(self, product, tour):
        url = f"/odoo/action-stock.product_template_action_product/{product.id}"
        self.start_tour(url, tour, login=self.manager.login, timeout=120)
        self.env.invalidate_all()

    def test_sync_from_product_form(self):
        product = self._make_product("T-RAISE", on_hand=40, name="Chaise de bureau")
        self._start_on_form(product, "stock_sync_api_tour_sync")
        self.assertEqual(product.api_sync_state, "ok")
        self.assertEqual(product.api_sync_message, "En stock 40 -> 50")
        self.assertTrue(product.api_last_sync_date)
        self.assertEqual(self._on_hand(product), 50)
        self.assertEqual(len(self._inventory_moves(product)), 1)
        # Posted in the chatter in the manager's name, who may not edit products.
        self.assertIn(self.manager.partner_id, product.message_ids.author_id)

    def test_invalid_answer_shown_and_stock_kept(self):
        product = self._make_product("T-JSON", on_hand=4, name="Lampe de bureau")
        self._start_on_form(product, "stock_sync_api_tour_invalid_answer")
        self.assertEqual(product.api_sync_state, "error")
        self.assertTrue(
            product.api_sync_message.startswith("Réponse invalide de l'API de stock"), product.api_sync_message
        )
        self.assertFalse(product.api_last_sync_date)
        self.assertEqual(self._on_hand(product), 4)
        self.assertFalse(self._inventory_moves(product))
