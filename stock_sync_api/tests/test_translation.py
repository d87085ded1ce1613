from lxml import etree

from odoo.tests import tagged

from .common import StockSyncApiCase


@tagged("post_install", "-at_install")
class TestTranslation(StockSyncApiCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"].sudo()._activate_lang("fr_FR")
        cls.env["ir.module.module"].sudo().search([("name", "=", "stock_sync_api")])._update_translations(
            ["fr_FR"], overwrite=True
        )

    def _form(self, lang):
        arch = (
            self.env["product.template"]
            .with_context(lang=lang)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        return etree.fromstring(arch)

    def test_page_and_button_in_french(self):
        form = self._form("fr_FR")
        self.assertEqual(form.xpath("//page[@name='api_sync']")[0].get("string"), "API Synchronisation")
        self.assertEqual(
            form.xpath("//button[@name='action_api_sync']")[0].get("string"), "Lancer la synchronisation"
        )

    def test_english_source(self):
        form = self._form("en_US")
        self.assertEqual(form.xpath("//page[@name='api_sync']")[0].get("string"), "API Sync")
        self.assertEqual(form.xpath("//button[@name='action_api_sync']")[0].get("string"), "Run synchronisation")

    def test_messages_in_french(self):
        product = self._make_product("T-RAISE", on_hand=40).with_context(lang="fr_FR")
        product.action_api_sync()
        self.assertEqual(product.api_sync_message, "En stock 40 -> 50")
