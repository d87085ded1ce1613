import polib
from lxml import etree

from odoo.tests import tagged
from odoo.tools import file_open
from odoo.tools.translate import TranslationModuleReader

from .common import StockSyncApiCase


@tagged("post_install", "-at_install")
class TestTranslation(StockSyncApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"].sudo()._activate_lang("fr_FR")
        # The addon's terms, and the units' names its messages quote.
        cls.env["ir.module.module"].sudo().search([("name", "in", ("uom", "stock_sync_api"))])._update_translations(
            ["fr_FR"], overwrite=True
        )

    def _form(self, lang):
        arch = (
            self.env["product.template"].with_context(lang=lang).get_views([(False, "form")])["views"]["form"]["arch"]
        )
        return etree.fromstring(arch)

    def test_page_and_button_in_french(self):
        form = self._form("fr_FR")
        self.assertEqual(form.xpath("//page[@name='api_sync']")[0].get("string"), "API Synchronisation")
        self.assertEqual(form.xpath("//button[@name='action_api_sync']")[0].get("string"), "Lancer la synchronisation")

    def test_english_source(self):
        form = self._form("en_US")
        self.assertEqual(form.xpath("//page[@name='api_sync']")[0].get("string"), "API Sync")
        self.assertEqual(form.xpath("//button[@name='action_api_sync']")[0].get("string"), "Run synchronisation")

    def test_messages_in_french(self):
        product = self._make_product("T-RAISE", on_hand=40).with_context(lang="fr_FR")
        product.action_api_sync()
        self.assertEqual(product.api_sync_message, "En stock 40 -> 50 Unité(s)")

    def test_error_label_in_french_typography(self):
        """French puts a space before the colon between an error and its detail."""
        product = self._make_product("T-NOT-IN-API", on_hand=3).with_context(lang="fr_FR")
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "error")
        self.assertTrue(
            product.api_sync_message.startswith("Introuvable dans l'API de stock : "), product.api_sync_message
        )

    def _arch(self, model, view_type, lang, user=None):
        """The view as ``user`` (default: the stock manager) gets it, and the fields it shows."""
        env = self.env(user=user or self.env.user, context=dict(self.env.context, lang=lang))
        views = env[model].get_views([(False, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"]), views["models"][model]["fields"]

    def test_runs_menu_and_actions_in_french(self):
        def french(xmlid):
            return self.env.ref(xmlid).sudo().with_context(lang="fr_FR").name

        self.assertEqual(french("stock_sync_api.menu_stock_sync_run"), "Synchronisations API")
        self.assertEqual(french("stock_sync_api.action_stock_sync_run"), "Synchronisations API")
        self.assertEqual(french("stock_sync_api.action_product_template_api_sync"), "Lancer la synchronisation")
        self.assertEqual(
            french("stock_sync_api.action_product_template_api_sync_preview"), "Prévisualiser la synchronisation"
        )

    def test_run_form_in_french(self):
        form, fields = self._arch("stock.sync.run", "form", "fr_FR")
        self.assertEqual(form.xpath("//button[@name='action_apply']")[0].get("string"), "Appliquer")
        self.assertEqual(form.xpath("//button[@name='action_discard']")[0].get("string"), "Abandonner")
        self.assertTrue(
            form.xpath("//button[@name='action_apply']")[0]
            .get("confirm")
            .startswith("Les produits de cette synchronisation sont relus dans l'API de stock")
        )
        self.assertEqual(form.xpath("//page[@name='lines']")[0].get("string"), "Produits")
        self.assertIn("Retenue par le frein", etree.tostring(form, encoding="unicode"))
        self.assertEqual(fields["trigger"]["string"], "Déclencheur")
        self.assertEqual(dict(fields["trigger"]["selection"])["cron"], "Planifiée")
        self.assertEqual(
            dict(fields["state"]["selection"]),
            {
                "running": "En cours",
                "planned": "Prévue",
                "held": "Retenue",
                "done": "Terminée",
                "failed": "Échouée",
                "discarded": "Abandonnée",
            },
        )
        line_fields = (
            self.env["stock.sync.run.line"]
            .with_context(lang="fr_FR")
            .fields_get(["on_hand", "api_quantity", "move_id", "state"], ["string", "selection"])
        )
        self.assertEqual(line_fields["on_hand"]["string"], "En stock avant")
        self.assertEqual(line_fields["api_quantity"]["string"], "Quantité API")
        self.assertEqual(line_fields["move_id"]["string"], "Mouvement d'inventaire")
        self.assertEqual(dict(line_fields["state"]["selection"])["applied"], "Appliquée")

    def test_brake_and_location_settings_in_french(self):
        form, fields = self._arch("res.config.settings", "form", "fr_FR", user=self.env.ref("base.user_admin"))
        self.assertEqual(form.xpath("//setting[@id='api_sync_brake']")[0].get("string"), "Frein")
        self.assertEqual(
            form.xpath("//setting[@id='api_sync_location']")[0].get("string"), "Emplacement de l'API de stock"
        )
        self.assertEqual(
            form.xpath("//button[@name='action_api_sync_preview_all']")[0].get("string"),
            "Prévisualiser la synchronisation",
        )
        self.assertEqual(fields["api_sync_hold_zero_percent"]["string"], "Seuil de passage à zéro (%)")
        self.assertEqual(fields["api_sync_hold_change_percent"]["string"], "Seuil de changement (%)")

    def test_every_term_in_french(self):
        """Every term Odoo's exporter finds in the addon (fields, selections,
        views, menus, actions, messages in the code) has a French translation
        in i18n/fr.po, none of them fuzzy."""
        reader = TranslationModuleReader(self.env.cr, ["stock_sync_api"])
        terms = {source for _module, _type, _name, _res_id, source, _value, _comments in reader}
        self.assertIn("API Synchronisations", terms)
        with file_open("stock_sync_api/i18n/fr.po", "rb") as po_file:
            po = polib.pofile(po_file.read().decode())
        french = {entry.msgid: entry.msgstr for entry in po if not entry.obsolete and "fuzzy" not in entry.flags}
        missing = sorted(term for term in terms if not french.get(term))
        self.assertFalse(missing, "terms without a French translation in i18n/fr.po")
