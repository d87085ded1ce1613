from odoo.tests import HttpCase, new_test_user, tagged

from .common import StockSyncApiMixin

#: Modules whose French texts the tours show: the addon's, and the screens around it.
FRENCH_MODULES = ("web", "mail", "uom", "product", "stock", "stock_sync_api")

#: The catalog of the held run: products with stock, for which the stock API answers 0.
HELD_CATALOG = [f"TR-{n:03}" for n in range(1, 26)]
HELD_ON_HAND = 5


class FrenchStockManagerMixin(StockSyncApiMixin):
    """The addon pointed at the real mock-api and sync-cli, and a French
    inventory administrator who may not edit products."""

    @classmethod
    def _setup_french_stock_manager(cls):
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

    def _start_tour_as_manager(self, url, tour):
        self.start_tour(url, tour, login=self.manager.login, timeout=180)
        self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestTour(FrenchStockManagerMixin, HttpCase):
    """A French stock manager runs the synchronisation from the product form, in a real browser.

    The HTTP requests of the browser run in the test's transaction, and the
    button runs the real sync-cli against the real mock-api.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_french_stock_manager()

    def _start_on_form(self, product, tour):
        self._start_tour_as_manager(f"/odoo/action-stock.product_template_action_product/{product.id}", tour)

    def test_sync_from_product_form(self):
        product = self._make_product("T-RAISE", on_hand=40, name="Chaise de bureau")
        self._start_on_form(product, "stock_sync_api_tour_sync")
        self.assertEqual(product.api_sync_state, "ok")
        self.assertEqual(product.api_sync_message, "En stock 40 -> 50 Unité(s)")
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


@tagged("post_install", "-at_install")
class TestRunTour(FrenchStockManagerMixin, HttpCase):
    """A French stock manager opens the synchronisations from the menu, and
    applies a run that the brake held, in a real browser.

    Each test starts with a scheduled run held by a real sync: the stock API
    answers 0 for 25 products that have stock.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_french_stock_manager()
        # Only this test's products have an external ID (demo data has others).
        cls._clear_external_ids()
        cls.zero_api = cls._start_mock_api([{"product_id": pid, "quantity": "0"} for pid in HELD_CATALOG])
        cls.held_catalog = cls.env["product.template"].concat(
            *(cls._make_product(pid, on_hand=HELD_ON_HAND, name=f"Ramette {pid}") for pid in HELD_CATALOG)
        )

    def setUp(self):
        super().setUp()
        # The brake's defaults hold a run of 20 products or more of which over 10% drop to zero.
        self._set_params(base_url=self.zero_api)
        cron = self.env.ref("stock_sync_api.ir_cron_api_sync").sudo()
        # An HttpCase is in registry test mode already: the job's cursor wraps the test's.
        self.assertIs(cron.method_direct_trigger(), True)
        self.env.invalidate_all()
        self.held_run = self.env["stock.sync.run"].search([("trigger", "=", "cron")], order="id desc", limit=1)
        self.assertEqual(self.held_run.state, "held")
        self.assertEqual(len(self.held_run.line_ids), len(HELD_CATALOG))
        self.assertFalse(self._catalog_moves())

    def _catalog_moves(self):
        return (
            self.env["stock.move"]
            .sudo()
            .search([("product_id", "in", self.held_catalog.product_variant_ids.ids), ("is_inventory", "=", True)])
        )

    def test_run_list_and_form_from_the_menu(self):
        self._set_params(base_url=self.api_url)
        product = self._make_product("T-RAISE", on_hand=40, name="Chaise de bureau")
        product.with_user(self.manager).with_context(lang="fr_FR", tz="Europe/Paris").action_api_sync()
        run = product.api_last_run_id
        self.assertEqual((run.trigger, run.state, run.changed_count), ("manual", "done", 1))
        self._start_tour_as_manager("/odoo", "stock_sync_api_tour_run_list")
        # Looking changed nothing.
        self.assertEqual((run.state, self.held_run.state), ("done", "held"))
        self.assertEqual(self._on_hand(product), 50)
        self.assertFalse(self._catalog_moves())

    def test_apply_held_run(self):
        self._start_tour_as_manager(
            f"/odoo/action-stock_sync_api.action_stock_sync_run/{self.held_run.id}", "stock_sync_api_tour_apply_held"
        )
        run = self.held_run
        self.assertEqual((run.state, run.brake_lifted, run.hold_reason), ("done", True, False))
        self.assertEqual([self._on_hand(template) for template in self.held_catalog], [0] * len(HELD_CATALOG))
        moves = self._catalog_moves()
        self.assertEqual(len(moves), len(HELD_CATALOG))
        self.assertEqual(set(moves.mapped("state")), {"done"})
        self.assertEqual(set(run.line_ids.mapped("state")), {"applied"})
        self.assertEqual(run.line_ids.move_id, moves)
        self.assertEqual(set(self.held_catalog.mapped("api_sync_state")), {"ok"})
        # Applied in the manager's name, in French.
        self.assertTrue(
            any("Appliquée par Gestionnaire de stock" in body for body in run.message_ids.mapped("body")),
            run.message_ids.mapped("body"),
        )
