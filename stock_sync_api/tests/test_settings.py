from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..engine import read_cli_settings, read_setting
from ..synccli import DEFAULTS, MAX_QUANTITY_RANGE, RANGES, SyncCliSettings
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
        cli = read_cli_settings(self.env)
        self.assertEqual((cli.timeout, cli.retries, cli.concurrency), (20, 0, 16))
        self.assertEqual(cli.token, "t0ken")
        self.assertEqual((cli.max_quantity, cli.ca_file), (5000.0, "/etc/ssl/private-ca.pem"))

    def test_out_of_range_refused(self):
        with self.assertRaisesRegex(ValidationError, "between 1 and 256"):
            self.env["res.config.settings"].sudo().create({"api_sync_concurrency": 1000})
        with self.assertRaisesRegex(ValidationError, "largest quantity must be between 1 and 100000000000000"):
            self.env["res.config.settings"].sudo().create({"api_sync_max_quantity": 1e16})
        with self.assertRaisesRegex(ValidationError, "must contain {id}"):
            self.env["res.config.settings"].sudo().create({"api_sync_endpoint": "/api/stock"})

    def test_defaults(self):
        params = self.env["ir.config_parameter"].sudo()
        keys = ("endpoint", "timeout", "retries", "concurrency", "batch_size", "cli_path", "max_quantity", "ca_file")
        for key in keys:
            params.set_param(f"stock_sync_api.{key}", False)
        cli = read_cli_settings(self.env)
        self.assertEqual(cli.endpoint, "/api/stock/{id}")
        self.assertEqual((cli.timeout, cli.retries, cli.concurrency), (10, 2, 32))
        self.assertEqual(cli.cli_path, "sync-cli")
        self.assertEqual((cli.max_quantity, cli.ca_file), (1e9, ""))
        self.assertEqual(read_setting(self.env, "batch_size"), 1000)

    def test_the_settings_defaults_and_ranges_are_the_runners(self):
        """One rulebook: the settings' defaults, what an unset parameter
        gives, and the runner's own defaults are the same values."""
        params = self.env["ir.config_parameter"].sudo()
        keys = ("endpoint", "timeout", "retries", "concurrency", "batch_size", "cli_path", "max_quantity")
        for key in keys:
            params.set_param(f"stock_sync_api.{key}", False)
        settings = self.env["res.config.settings"].sudo().create({})
        for key in keys:
            self.assertEqual(settings[f"api_sync_{key}"], DEFAULTS[key], key)
            self.assertEqual(read_setting(self.env, key), DEFAULTS[key], key)
        runner = SyncCliSettings(base_url="http://x")
        for key in ("timeout", "retries", "concurrency", "max_quantity", "cli_path"):
            self.assertEqual(getattr(runner, key), DEFAULTS[key], key)

    def test_every_boundary_is_accepted_and_one_beyond_refused(self):
        """Both ends of every range can be saved from the settings form, are
        read back as they are, and make settings the runner takes; one step
        beyond is refused, from the form and from the system parameter."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("stock_sync_api.base_url", "http://127.0.0.1:9")
        bounds = dict(RANGES, max_quantity=MAX_QUANTITY_RANGE)
        for key, (low, high) in bounds.items():
            for value in (low, high):
                with self.subTest(key=key, value=value):
                    settings = self.env["res.config.settings"].sudo().create({f"api_sync_{key}": value})
                    self.assertEqual(settings[f"api_sync_{key}"], value)
                    settings.execute()
                    self.assertEqual(read_setting(self.env, key), value)
                    # What the settings accept, the runner accepts.
                    read_cli_settings(self.env)
                    params.set_param(f"stock_sync_api.{key}", False)
            for value in (low - 1, high * 10 if key == "max_quantity" else high + 1):
                with self.subTest(key=key, value=value):
                    with self.assertRaises(ValidationError):
                        self.env["res.config.settings"].sudo().create({f"api_sync_{key}": value})
                    params.set_param(f"stock_sync_api.{key}", str(value))
                    with self.assertRaises(UserError):
                        read_setting(self.env, key)
                    params.set_param(f"stock_sync_api.{key}", False)

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
