from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import StockSyncApiCase


@tagged("post_install", "-at_install")
class TestSettings(StockSyncApiCase):
    def test_settings_land_in_system_parameters(self):
        settings = self.env["res.config.settings"].sudo().create(
            {
                "api_sync_base_url": "https://stock.example.com",
                "api_sync_endpoint": "/v2/items/{id}",
                "api_sync_token": "t0ken",
                "api_sync_timeout": 20,
                "api_sync_retries": 0,
                "api_sync_concurrency": 16,
                "api_sync_batch_size": 500,
                "api_sync_cli_path": "/usr/local/bin/sync-cli",
                "api_sync_max_quantity": 5000,
                "api_sync_ca_file": "/etc/ssl/private-ca.pem",
            }
        )
        settings.execute()
        params = self.env["ir.config_parameter"].sudo()
        expected = {
            "base_url": "https://stock.example.com",
            "endpoint": "/v2/items/{id}",
            "token": "t0ken",
            "timeout": "20",
            "retries": "0",
            "concurrency": "16",
            "batch_size": "500",
            "cli_path": "/usr/local/bin/sync-cli",
            "max_quantity": "5000.0",
            "ca_file": "/etc/ssl/private-ca.pem",
        }
        for key, value in expected.items():
            self.assertEqual(params.get_param(f"stock_sync_api.{key}"), value, key)
        reread = self.env["res.config.settings"].sudo().create({})
        self.assertEqual(reread.api_sync_retries, 0)
        self.assertEqual(reread.api_sync_timeout, 20)
        cli = self.env["res.config.settings"]._get_api_sync_settings()
        self.assertEqual((cli.timeout, cli.retries, cli.concurrency), (20, 0, 16))
        self.assertEqual(cli.token, "t0ken")
        self.assertEqual((cli.max_quantity, cli.ca_file), (5000.0, "/etc/ssl/private-ca.pem"))

    def test_out_of_range_refused(self):
        with self.assertRaisesRegex(ValidationError, "between 1 and 256"):
            self.env["res.config.settings"].sudo().create({"api_sync_concurrency": 1000})
        with self.assertRaisesRegex(ValidationError, "largest quantity must be between 1 and 1000000000000000"):
            self.env["res.config.settings"].sudo().create({"api_sync_max_quantity": 1e16})
        with self.assertRaisesRegex(ValidationError, "must contain {id}"):
            self.env["res.config.settings"].sudo().create({"api_sync_endpoint": "/api/stock"})

    def test_defaults(self):
        params = self.env["ir.config_parameter"].sudo()
        for key in ("endpoint", "timeout", "retries", "concurrency", "batch_size", "cli_path", "max_quantity", "ca_file"):
            params.set_param(f"stock_sync_api.{key}", False)
        cli = self.env["res.config.settings"]._get_api_sync_settings()
        self.assertEqual(cli.endpoint, "/api/stock/{id}")
        self.assertEqual((cli.timeout, cli.retries, cli.concurrency), (10, 2, 32))
        self.assertEqual(cli.cli_path, "sync-cli")
        self.assertEqual((cli.max_quantity, cli.ca_file), (1e9, ""))
        self.assertEqual(self.env["res.config.settings"]._get_api_sync_batch_size(), 1000)

    def test_token_and_cli_path_for_system_administrators_only(self):
        fields = self.env["res.config.settings"].with_user(self.stock_manager).fields_get()
        self.assertNotIn("api_sync_token", fields)
        self.assertNotIn("api_sync_cli_path", fields)
        self.assertNotIn("api_sync_ca_file", fields)
        self.assertIn("api_sync_base_url", fields)
        admin_fields = self.env["res.config.settings"].with_user(self.env.ref("base.user_admin")).fields_get()
        self.assertIn("api_sync_token", admin_fields)
        self.assertIn("api_sync_cli_path", admin_fields)
        self.assertIn("api_sync_ca_file", admin_fields)
