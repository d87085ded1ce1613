import base64
import os
import subprocess
import sys
import time

from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..engine import read_cli_settings, read_setting
from ..engine.config import read_listing_settings
from ..synccli import DEFAULTS, MAX_QUANTITY_RANGE, RANGES, SETTINGS, SyncCliSettings
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

    def test_every_setting_of_the_table_is_a_field_of_the_form(self):
        """A row of the table is a field api_sync_<key> of the form: its
        kind, label, help, storage and readers are the row's, and the form
        shows it."""
        admin = self.env.ref("base.user_admin")
        Settings = self.env["res.config.settings"].with_user(admin)
        arch = Settings.get_views([(False, "form")])["views"]["form"]["arch"]
        kinds = {str: "char", int: "integer", float: "float"}
        for key, setting in SETTINGS.items():
            with self.subTest(key=key):
                field = Settings._fields[f"api_sync_{key}"]
                self.assertEqual(field.type, "selection" if setting.choices else kinds[setting.kind])
                self.assertEqual((field.string, field.help), (setting.label, setting.help))
                self.assertEqual(getattr(field, "config_parameter", None), None if setting.plain else setting.param)
                self.assertEqual(field.groups, "base.group_system" if setting.admin_only else None)
                self.assertIn(f'name="api_sync_{key}"', arch)
        # What a plain setting's stored text says is what the form shows, 0 and empty included.
        self._set_params(retries="0", listing_records_path=" ", hold_zero_percent="0")
        settings = self.env["res.config.settings"].sudo().create({})
        self.assertEqual(settings.api_sync_retries, 0)
        self.assertEqual(settings.api_sync_listing_records_path, "")
        self.assertEqual(settings.api_sync_hold_zero_percent, 0.0)

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

    # --- the API's own credentials -------------------------------------------------------

    def test_credentials_for_system_administrators_only(self):
        """The way the token is sent, its header and the API user: read and
        set by system administrators only, as the token is."""
        auth_fields = ("api_sync_auth", "api_sync_auth_header", "api_sync_auth_user")
        fields = self.env["res.config.settings"].with_user(self.stock_manager).fields_get()
        admin = self.env.ref("base.user_admin")
        admin_fields = self.env["res.config.settings"].with_user(admin).fields_get()
        for field in auth_fields:
            self.assertNotIn(field, fields)
            self.assertIn(field, admin_fields)
        admin_arch = self.env["res.config.settings"].with_user(admin).get_views([(False, "form")])["views"]["form"]
        for field in auth_fields:
            self.assertIn(f'name="{field}"', admin_arch["arch"])
        for key in ("auth", "auth_header", "auth_user"):
            self.assertTrue(SETTINGS[key].admin_only, key)

    def test_credentials_form_shows_each_field_for_its_scheme(self):
        """The user is shown as typed, the token as a password; the header's
        name only for header, the user only for basic."""
        admin = self.env.ref("base.user_admin")
        arch = self.env["res.config.settings"].with_user(admin).get_views([(False, "form")])["views"]["form"]["arch"]
        form = etree.fromstring(arch)
        self.assertEqual(form.xpath("//field[@name='api_sync_token']")[0].get("password"), "True")
        self.assertFalse(form.xpath("//field[@name='api_sync_auth_user']")[0].get("password"))
        header_row = form.xpath("//field[@name='api_sync_auth_header']/..")[0]
        user_row = form.xpath("//field[@name='api_sync_auth_user']/..")[0]
        self.assertEqual(header_row.get("invisible"), "api_sync_auth != 'header'")
        self.assertEqual(user_row.get("invisible"), "api_sync_auth != 'basic'")

    def test_credentials_land_in_system_parameters_and_the_environment(self):
        admin = self.env.ref("base.user_admin")
        Settings = self.env["res.config.settings"].with_user(admin)
        Settings.create(
            {"api_sync_auth": "basic", "api_sync_auth_user": "ck_woo-key-01", "api_sync_token": "cs_woo-secret-01"}
        ).execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("stock_sync_api.auth"), "basic")
        self.assertEqual(params.get_param("stock_sync_api.auth_user"), "ck_woo-key-01")
        cli = read_cli_settings(self.env)
        env = cli.env({})
        self.assertEqual((env["STOCK_API_AUTH"], env["STOCK_API_USER"]), ("basic", "ck_woo-key-01"))
        self.assertEqual(env["STOCK_API_TOKEN"], "cs_woo-secret-01")
        self.assertNotIn("STOCK_API_AUTH_HEADER", env)
        for arg in cli.argv():
            self.assertNotIn("ck_woo", arg)
            self.assertNotIn("cs_woo", arg)
        self.assertNotIn("ck_woo", repr(cli))
        self.assertIn("Y2tfd29vLWtleS0wMTpjc193b28tc2VjcmV0LTAx", cli.secrets())

        Settings.create({"api_sync_auth": "header", "api_sync_auth_header": "X-Shopify-Access-Token"}).execute()
        env = read_cli_settings(self.env).env({})
        self.assertEqual((env["STOCK_API_AUTH"], env["STOCK_API_AUTH_HEADER"]), ("header", "X-Shopify-Access-Token"))
        # The user stays stored, and is not sent with another scheme.
        self.assertNotIn("STOCK_API_USER", env)

        params.set_param("stock_sync_api.auth", False)
        env = read_cli_settings(self.env).env({})
        self.assertEqual(env["STOCK_API_AUTH"], "bearer")
        self.assertEqual(SyncCliSettings(base_url="http://x").auth, "bearer")

    def test_bad_credentials_refused_naming_the_setting(self):
        admin = self.env.ref("base.user_admin")
        Settings = self.env["res.config.settings"].with_user(admin)
        with self.assertRaisesRegex(ValidationError, "give that header's name in Token Header"):
            Settings.create({"api_sync_auth": "header"})
        for name in ("X Api Key", "X-Key:", "Host", "content-length"):
            with self.subTest(name=name), self.assertRaisesRegex(ValidationError, "^Token Header must be the name"):
                Settings.create({"api_sync_auth": "header", "api_sync_auth_header": name})
        with self.assertRaisesRegex(ValidationError, "HTTP Basic authentication needs the API User"):
            Settings.create({"api_sync_auth": "basic"})
        with self.assertRaises(ValidationError) as caught:
            Settings.create({"api_sync_auth": "basic", "api_sync_auth_user": "ck_key:part"})
        message = str(caught.exception)
        self.assertIn("API User must not contain a colon", message)
        self.assertNotIn("ck_key", message)

        # Set by hand in the system parameters: every synchronisation fails, naming the parameter.
        cases = [
            ({"auth": "digest"}, "stock_sync_api.auth"),
            ({"auth": "header"}, "stock_sync_api.auth_header"),
            ({"auth": "header", "auth_header": "X Key"}, "stock_sync_api.auth_header"),
            ({"auth": "basic"}, "stock_sync_api.auth_user"),
            ({"auth": "basic", "auth_user": "ck_key:part"}, "stock_sync_api.auth_user"),
        ]
        product = self._make_product("T-RAISE", on_hand=5)
        for values, param in cases:
            with self.subTest(values=values):
                self._set_params(**values)
                with self.assertRaisesRegex(UserError, param) as caught:
                    read_cli_settings(self.env)
                self.assertNotIn("ck_key", str(caught.exception))
                product.action_api_sync()
                self.assertEqual(product.api_sync_state, "error")
                self.assertIn(param, product.api_sync_message)
                self.assertNotIn("ck_key", product.api_sync_message)
                self.assertEqual(self._on_hand(product), 5)
                self._set_params(auth="bearer", auth_header="", auth_user="")

    # --- the listing's limits, and the time limit of a batch -----------------------------------

    def test_listing_limits_land_in_sync_cli_list(self):
        Settings = self.env["res.config.settings"].sudo()
        defaults = Settings.create({})
        self.assertEqual(defaults.api_sync_listing_max_page_bytes, 1048576)
        self.assertEqual(defaults.api_sync_listing_max_pages, 100000)
        Settings.create({"api_sync_listing_max_page_bytes": 4194304, "api_sync_listing_max_pages": 50}).execute()
        listing = read_listing_settings(self.env)
        argv = listing.argv(read_cli_settings(self.env))
        self.assertIn("--max-body-bytes=4194304", argv)
        self.assertIn("--max-pages=50", argv)
        with self.assertRaisesRegex(ValidationError, r"Largest Page \(Bytes\) must be between 1024 and 268435456"):
            Settings.create({"api_sync_listing_max_page_bytes": 100})
        with self.assertRaisesRegex(ValidationError, "Most Pages must be between 1 and 10000000"):
            Settings.create({"api_sync_listing_max_pages": 0})
        self._set_params(listing_max_pages="-3")
        with self.assertRaisesRegex(UserError, "stock_sync_api.listing_max_pages"):
            read_listing_settings(self.env)

    def test_time_limit_of_a_batch_allows_for_the_request_rate(self):
        """1,000 IDs at 2 requests a second need at least 500 s (1,500 s with
        2 retries each): whatever the concurrency, the batch is given that."""
        self._set_params(retries=2, timeout=10, max_rps=2)
        for concurrency in (32, 128, 256):
            self._set_params(concurrency=concurrency)
            cli = read_cli_settings(self.env)
            self.assertGreaterEqual(cli.run_timeout(1000), 1500 + cli.time_margin, concurrency)


#: A stand-in for a real stock API that wants its own credentials: it answers
#: quantity 9 for any product when the request carries the header
#: ``STAND_IN_HEADER`` with the value ``STAND_IN_VALUE``, 401 otherwise. Run as
#: a process of its own (Odoo's tests block HTTP in the server's process).
STAND_IN_API = r"""
import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME, VALUE = os.environ["STAND_IN_HEADER"], os.environ["STAND_IN_VALUE"]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get(NAME) != VALUE:
            status, body = 401, {"error": "unauthorized"}
        else:
            status, body = 200, {"product_id": self.path.rsplit("/", 1)[-1], "quantity": "9"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
"""


@tagged("post_install", "-at_install")
class TestCredentials(StockSyncApiCase):
    """A product synchronised from an API that wants HTTP Basic or a header of its own."""

    USER = "ck_woo-0123456789abcdef"
    TOKEN = "cs_woo-fedcba9876543210"

    @classmethod
    def _start_stand_in(cls, header, value):
        process = subprocess.Popen(
            [sys.executable, "-c", STAND_IN_API],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, STAND_IN_HEADER=header, STAND_IN_VALUE=value),
        )
        cls.addClassCleanup(cls._stop, process)
        first_line = process.stdout.readline().strip()
        if not first_line.startswith("listening on "):
            raise RuntimeError(f"the stand-in API did not start: {first_line!r}")
        return first_line.removeprefix("listening on ")

    def test_http_basic(self):
        encoded = base64.b64encode(f"{self.USER}:{self.TOKEN}".encode()).decode()
        url = self._start_stand_in("Authorization", f"Basic {encoded}")
        self._set_params(base_url=url, auth="basic", auth_user=self.USER, token=self.TOKEN)
        product = self._make_product("W-1001", on_hand=2)
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "ok", product.api_sync_message)
        self.assertEqual(self._on_hand(product), 9)

        self._set_params(auth_user="ck_woo-wrong-user-000")
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "error")
        self.assertIn("401", product.api_sync_message)
        for secret in ("ck_woo-wr", self.TOKEN[:8], encoded[:8]):
            self.assertNotIn(secret, product.api_sync_message)
        self.assertEqual(self._on_hand(product), 9)

    def test_token_in_a_header_of_its_own(self):
        url = self._start_stand_in("X-Shopify-Access-Token", self.TOKEN)
        self._set_params(base_url=url, auth="header", auth_header="X-Shopify-Access-Token", token=self.TOKEN)
        product = self._make_product("S-1001", on_hand=2)
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "ok", product.api_sync_message)
        self.assertEqual(self._on_hand(product), 9)
        # Sent as a Bearer token, it is refused.
        self._set_params(auth="bearer")
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "error")
        self.assertIn("401", product.api_sync_message)


@tagged("post_install", "-at_install")
class TestCappedRun(StockSyncApiCase):
    def test_a_capped_run_with_many_concurrent_requests_syncs_every_product(self):
        """0.5 requests a second and 256 concurrent requests, against an API
        whose own quota is 1 request a second: slow, and every product synced."""
        products = [{"product_id": f"Q-{n}", "quantity": str(10 + n)} for n in range(4)]
        url = self._start_mock_api(products, "--rate-limit", "1")
        self._clear_external_ids()
        self._set_params(base_url=url, max_rps=0.5, concurrency=256, retries=2)
        templates = self.env["product.template"].browse(
            [self._make_product(product["product_id"], on_hand=1).id for product in products]
        )
        started = time.monotonic()
        templates.action_api_sync()
        self.assertGreaterEqual(time.monotonic() - started, 5.5)
        self.assertEqual(set(templates.mapped("api_sync_state")), {"ok"}, templates.mapped("api_sync_message"))
        self.assertEqual([self._on_hand(template) for template in templates], [10, 11, 12, 13])


@tagged("post_install", "-at_install")
class TestSettingsInFrench(StockSyncApiCase):
    """The new settings and their messages, as a French administrator reads them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"].sudo()._activate_lang("fr_FR")
        cls.env["ir.module.module"].sudo().search([("name", "=", "stock_sync_api")])._update_translations(
            ["fr_FR"], overwrite=True
        )

    def test_labels_and_choices_in_french(self):
        admin = self.env.ref("base.user_admin")
        fields = self.env["res.config.settings"].with_user(admin).with_context(lang="fr_FR").fields_get()
        self.assertEqual(fields["api_sync_auth"]["string"], "Authentification")
        self.assertEqual(
            dict(fields["api_sync_auth"]["selection"]),
            {
                "bearer": "Jeton Bearer",
                "header": "Jeton dans un en-tête dédié",
                "basic": "HTTP Basic (utilisateur et jeton)",
            },
        )
        self.assertEqual(fields["api_sync_auth_header"]["string"], "En-tête du jeton")
        self.assertEqual(fields["api_sync_auth_user"]["string"], "Utilisateur de l'API")
        self.assertEqual(fields["api_sync_listing_max_page_bytes"]["string"], "Plus grande page (octets)")
        self.assertEqual(fields["api_sync_listing_max_pages"]["string"], "Nombre maximal de pages")

    def test_refusals_in_french(self):
        Settings = self.env["res.config.settings"].with_user(self.env.ref("base.user_admin")).with_context(
            lang="fr_FR"
        )
        with self.assertRaisesRegex(ValidationError, "L'authentification HTTP Basic demande l'utilisateur de l'API"):
            Settings.create({"api_sync_auth": "basic"})
        with self.assertRaisesRegex(ValidationError, "^En-tête du jeton doit être le nom d'un en-tête HTTP"):
            Settings.create({"api_sync_auth": "header", "api_sync_auth_header": "Host"})
        self._set_params(auth="basic")
        with self.assertRaisesRegex(UserError, "vaut basic, mais stock_sync_api.auth_user"):
            read_cli_settings(self.env(context=dict(self.env.context, lang="fr_FR")))
