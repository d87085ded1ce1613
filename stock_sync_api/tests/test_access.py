from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import StockSyncApiCase


@tagged("post_install", "-at_install")
class TestAccess(StockSyncApiCase):
    def _call_as(self, user, template):
        """Call the button's method the way an RPC client of ``user`` would."""
        return template.with_user(user).with_context(uid=user.id).action_api_sync()

    def test_plain_internal_user_cannot_sync(self):
        product = self._make_product("T-RAISE", on_hand=40)
        with self.assertRaisesRegex(AccessError, "Only inventory administrators"):
            self._call_as(self.internal_user, product)
        self.assertEqual(self._on_hand(product), 40)
        self.assertEqual(product.api_sync_state, "never")

    def test_stock_user_without_manager_rights_cannot_sync(self):
        product = self._make_product("T-RAISE", on_hand=40)
        with self.assertRaises(AccessError):
            self._call_as(self.stock_user, product)
        self.assertEqual(self._on_hand(product), 40)

    def test_stock_manager_can_sync(self):
        product = self._make_product("T-RAISE", on_hand=40)
        self._call_as(self.stock_manager, product)
        self.assertEqual(self._on_hand(product), 50)

    def test_button_shown_to_stock_managers_only(self):
        Template = self.env["product.template"]
        for user, shown in ((self.stock_manager, True), (self.stock_user, False), (self.internal_user, False)):
            arch = Template.with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
            buttons = etree.fromstring(arch).xpath("//button[@name='action_api_sync']")
            self.assertEqual(bool(buttons), shown, user.login)
            if shown:
                self.assertEqual(buttons[0].get("invisible"), "not api_external_id")

    def test_everyone_sees_the_fields(self):
        arch = self.env["product.template"].with_user(self.internal_user).get_views([(False, "form")])
        form = etree.fromstring(arch["views"]["form"]["arch"])
        for name in ("api_external_id", "api_last_sync_date", "api_sync_state", "api_sync_message"):
            self.assertTrue(form.xpath(f"//page[@name='api_sync']//field[@name='{name}']"), name)

    def test_list_action_is_for_stock_managers(self):
        action = self.env.ref("stock_sync_api.action_product_template_api_sync").sudo()
        self.assertEqual(action.group_ids, self.env.ref("stock.group_stock_manager"))
        self.assertEqual(action.binding_model_id.model, "product.template")
        self.assertEqual(action.binding_view_types, "list")
        product = self._make_product("T-LOWER", on_hand=25)
        context = {"active_model": "product.template", "active_ids": product.ids}

        def run_as(user):
            # As the web client's /web/action/run does, in the user's environment.
            return self.env["ir.actions.server"].with_user(user).with_context(**context).browse(action.id).run()

        with self.assertRaises(AccessError):
            run_as(self.stock_user)
        self.assertEqual(self._on_hand(product), 25)
        result = run_as(self.stock_manager)
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(self._on_hand(product), 10)
