from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged

from .common import StockSyncApiMixin

TOKEN = "rpc-token-5d1e77"


@tagged("post_install", "-at_install")
class TestRpcAccess(StockSyncApiMixin, HttpCase):
    """Who may sync and who may see the token, asked over JSON-RPC as the web client does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_stock_sync_api()
        cls._set_params(token=TOKEN)
        cls.users = {
            login: new_test_user(cls.env, login=login, password=login, groups=groups)
            for login, groups in (
                ("rpc_internal", "base.group_user"),
                ("rpc_stock_user", "base.group_user,stock.group_stock_user"),
                ("rpc_stock_manager", "base.group_user,stock.group_stock_manager"),
            )
        }

    def _call(self, login, model, method, *args, **kwargs):
        self.authenticate(login, login)
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def test_only_stock_managers_sync(self):
        product = self._make_product("T-RAISE", on_hand=40)
        for login in ("rpc_internal", "rpc_stock_user"):
            with self.subTest(login=login), self.assertRaises(JsonRpcException) as caught:
                self._call(login, "product.template", "action_api_sync", product.ids)
            self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")
            self.assertEqual(self._on_hand(product), 40)
        # Everyone may read the fields.
        fields = ["api_external_id", "api_last_sync_date", "api_sync_state", "api_sync_message"]
        for login in self.users:
            records = self._call(login, "product.template", "read", product.ids, fields)
            self.assertEqual(records[0]["api_external_id"], "T-RAISE")
        result = self._call("rpc_stock_manager", "product.template", "action_api_sync", product.ids)
        self.assertEqual(result["params"]["message"], "On hand 40 -> 50 Units")
        self.env.invalidate_all()
        self.assertEqual(self._on_hand(product), 50)

    def test_token_hidden_from_non_administrators(self):
        for login in self.users:
            with self.subTest(login=login):
                with self.assertRaises(JsonRpcException) as caught:
                    self._call(
                        login,
                        "ir.config_parameter",
                        "search_read",
                        [("key", "=", "stock_sync_api.token")],
                        ["value"],
                    )
                self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")
                fields = self._call(login, "product.template", "fields_get")
                self.assertNotIn(TOKEN, str(fields))

    def test_settings_page_source_has_no_token_for_non_administrators(self):
        # Only system administrators may open the settings at all...
        for login in self.users:
            with self.subTest(login=login), self.assertRaises(JsonRpcException) as caught:
                self._call(login, "res.config.settings", "get_views", [[False, "form"]])
            self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")
        # ... and the token and sync-cli path fields are theirs only.
        self.authenticate("admin", "admin")
        views = self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.config.settings/get_views",
            {"model": "res.config.settings", "method": "get_views", "args": [[[False, "form"]]], "kwargs": {}},
        )
        arch = views["views"]["form"]["arch"]
        self.assertIn('name="api_sync_token"', arch)
        self.assertIn('name="api_sync_cli_path"', arch)
