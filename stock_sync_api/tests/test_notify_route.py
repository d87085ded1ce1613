import json
import logging
import time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from ..controllers.notify import MAX_BODY_BYTES, ROUTE
from ..models.res_config_settings import NOTIFY_ROUTE as SETTINGS_ROUTE
from .common import NOTIFY_SECRET, StockSyncNotifyMixin

ROUTE_LOGGER = "odoo.addons.stock_sync_api.controllers.notify"
ADDON_LOGGER = "odoo.addons.stock_sync_api"


@tagged("post_install", "-at_install")
class TestNotifyRoute(StockSyncNotifyMixin, HttpCase):
    """What the notification route refuses, the rotation of its secret, which
    never shows, and its settings: the route answers at once, queueing
    nothing it refuses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notifications()

    def assertRefused(self, response, status, error_part):
        self.assertEqual(response.status_code, status, response.text)
        error = response.json()["error"]
        self.assertIn(error_part, error)
        self.assertNotIn(NOTIFY_SECRET, response.text)
        self.assertFalse(self._queued())
        self.assertFalse(self._pending_triggers())

    # ------------------------------------------------------------------
    # Refused
    # ------------------------------------------------------------------

    def test_wrong_signature(self):
        self._make_product("T-RAISE", on_hand=40)
        with self.assertLogs(ROUTE_LOGGER, logging.WARNING) as logs:
            response = self._notify(["T-RAISE"], secret="not-the-secret")
        self.assertRefused(response, 401, "signature does not match")
        self.assertNotIn(NOTIFY_SECRET, "\n".join(logs.output))
        # Signed over another body, or another timestamp.
        timestamp = int(time.time())
        for headers in (
            {"X-Stock-Sync-Timestamp": str(timestamp - 1)},
            {"X-Stock-Sync-Signature": "sha256=" + "0" * 64},
        ):
            with self.subTest(headers=headers), self.assertLogs(ROUTE_LOGGER, logging.WARNING):
                self.assertRefused(self._notify(["T-RAISE"], timestamp=timestamp, headers=headers), 401, "signature")
        with self.assertLogs(ROUTE_LOGGER, logging.WARNING):
            self.assertRefused(
                self._notify(["T-RAISE"], headers={"X-Stock-Sync-Signature": "md5=abc"}), 401, "must be sha256="
            )

    def test_missing_headers(self):
        self._make_product("T-RAISE", on_hand=40)
        for omitted in (
            ["X-Stock-Sync-Signature"],
            ["X-Stock-Sync-Timestamp"],
            ["X-Stock-Sync-Signature", "X-Stock-Sync-Timestamp"],
        ):
            with self.subTest(omitted=omitted), self.assertLogs(ROUTE_LOGGER, logging.WARNING):
                self.assertRefused(self._notify(["T-RAISE"], omit=omitted), 401, "are both required")
        with self.assertLogs(ROUTE_LOGGER, logging.WARNING):
            self.assertRefused(self._notify(["T-RAISE"], headers={"X-Stock-Sync-Timestamp": "soon"}), 401, "UNIX time")

    def test_old_or_future_timestamp_with_a_valid_signature_is_a_replay(self):
        self._make_product("T-RAISE", on_hand=40)
        # Whole seconds, truncated: "now + 305" is more than 300 s ahead for the next 4 s.
        now = int(time.time())
        for timestamp, word in ((now - 301, "old"), (now - 3600, "old"), (now + 305, "ahead")):
            with self.subTest(timestamp=timestamp), self.assertLogs(ROUTE_LOGGER, logging.WARNING):
                self.assertRefused(self._notify(["T-RAISE"], timestamp=timestamp), 401, f"s {word}")
        # Within the window, either way.
        for timestamp in (now - 290, now + 290):
            response = self._notify(["T-RAISE"], timestamp=timestamp)
            self.assertEqual(response.status_code, 202, response.text)

    def test_too_large_a_body(self):
        self._make_product("T-RAISE", on_hand=40)
        prefix = b'{"product_ids": ["T-RAISE"]'
        fits = prefix + b" " * (MAX_BODY_BYTES - len(prefix) - 1) + b"}"
        self.assertEqual(len(fits), MAX_BODY_BYTES)
        too_large = prefix + b" " * (MAX_BODY_BYTES - len(prefix)) + b"}"
        # Refused before its signature is checked, however signed.
        self.assertRefused(self._notify(body=too_large), 413, f"over {MAX_BODY_BYTES} bytes")
        self.assertRefused(self._notify(body=too_large, secret="wrong"), 413, "over")
        response = self._notify(body=fits)
        self.assertEqual((response.status_code, response.json()), (202, {"accepted": 1}))

    def test_not_the_expected_json(self):
        self._make_product("T-RAISE", on_hand=40)
        bodies = {
            b"T-RAISE": "not JSON",
            b"\xff\xfe{}": "not JSON",
            b"[" * 5000 + b"]" * 5000: "not JSON",
            b'["T-RAISE"]': "JSON object",
            b'{"product_id": "T-RAISE"}': "JSON object",
            b'{"product_ids": "T-RAISE"}': "JSON object",
            b'{"product_ids": [{"product_id": "T-RAISE", "quantity": 5}]}': "list of strings",
            b'{"product_ids": ["T-RAISE", 1001]}': "list of strings",
            json.dumps({"product_ids": [f"ID-{n}" for n in range(1001)]}).encode(): "at most 1000",
        }
        for body, error in bodies.items():
            with self.subTest(body=body[:40]):
                # Signed: the shape is checked last.
                self.assertRefused(self._notify(body=body), 400, error)
        response = self._notify(body=json.dumps({"product_ids": ["T-RAISE"] * 1000}).encode())
        self.assertEqual((response.status_code, response.json()), (202, {"accepted": 1}))

    def test_secret_empty_route_answers_404_and_does_nothing(self):
        self._make_product("T-RAISE", on_hand=40)
        self._set_params(notify_secret="")
        self.assertRefused(self._notify(["T-RAISE"]), 404, "turned off")
        self._set_params(notify_secret="   ")
        self.assertRefused(self._notify(["T-RAISE"], secret="   "), 404, "turned off")

    def test_other_methods(self):
        response = self.url_open(ROUTE, headers={"X-Odoo-Database": self.env.cr.dbname})
        self.assertEqual(response.status_code, 405)
        self.assertFalse(self._queued())

    # ------------------------------------------------------------------
    # Rotation and secrecy
    # ------------------------------------------------------------------

    def test_rotation_two_secrets_both_valid(self):
        self._make_product("T-RAISE", on_hand=40)
        self._make_product("T-LOWER", on_hand=25)
        self._set_params(notify_secret=f"{NOTIFY_SECRET} new-secret-2")
        self.assertEqual(self._notify(["T-RAISE"]).status_code, 202)
        self.assertEqual(self._notify(["T-LOWER"], secret="new-secret-2").status_code, 202)
        with self.assertLogs(ROUTE_LOGGER, logging.WARNING):
            self.assertEqual(self._notify(["T-RAISE"], secret="third").status_code, 401)
        # Separated by a newline too; then the old one removed.
        self._set_params(notify_secret=f"{NOTIFY_SECRET}\nnew-secret-2")
        self.assertEqual(self._notify(["T-RAISE"], secret="new-secret-2").status_code, 202)
        self._set_params(notify_secret="new-secret-2")
        with self.assertLogs(ROUTE_LOGGER, logging.WARNING):
            self.assertEqual(self._notify(["T-RAISE"]).status_code, 401)
        self.assertEqual(set(self._queued()), {"T-RAISE", "T-LOWER"})

    def test_secret_never_in_a_log_or_the_run(self):
        self._make_product("T-RAISE", on_hand=40)
        self._make_product("T-MISSING", on_hand=3)
        with self.assertLogs(ADDON_LOGGER, logging.DEBUG) as logs:
            self._notify(["T-RAISE", "T-MISSING", "UNKNOWN"])
            self._notify(["T-RAISE"], secret=NOTIFY_SECRET + "x")
            self._notify(["T-RAISE"], headers={"X-Stock-Sync-Signature": "sha256=" + NOTIFY_SECRET})
            self._run_notified_cron()
        text = "\n".join(logs.output)
        self.assertIn("refused (401)", text)
        self.assertNotIn(NOTIFY_SECRET, text)
        run = self._notified_runs()
        self.assertEqual((run.changed_count, run.error_count), (1, 1))
        shown = str(run.read()) + str(run.line_ids.read()) + str(run.message_ids.mapped("body"))
        self.assertNotIn(NOTIFY_SECRET, shown)

    # ------------------------------------------------------------------
    # The scheduled action, the settings, access
    # ------------------------------------------------------------------

    def test_scheduled_action_record(self):
        cron = self.notify_cron
        self.assertTrue(cron.active)
        self.assertEqual(cron.name, "Stock API: synchronise notified products")
        self.assertEqual(cron.code.strip(), "model._cron_sync_notified()")
        self.assertEqual(cron.model_id.model, "stock.sync.run")
        self.assertEqual(cron.user_id, self.env.ref("base.user_root"))

    def test_setting_and_route_url(self):
        self.assertEqual(SETTINGS_ROUTE, ROUTE)
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://odoo.example.com")
        settings = self.env["res.config.settings"].create({"api_sync_notify_secret": "abc def"})
        settings.execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("stock_sync_api.notify_secret"), "abc def")
        self.assertEqual(settings.api_sync_notify_url, "https://odoo.example.com/stock_sync_api/notify")

    def test_only_system_administrators_read_or_set_the_secret(self):
        manager = new_test_user(
            self.env, login="notify_stock_manager", groups="base.group_user,stock.group_stock_manager"
        )
        Settings = self.env["res.config.settings"]
        self.assertNotIn("api_sync_notify_secret", Settings.with_user(manager).fields_get())
        self.assertNotIn("api_sync_notify_url", Settings.with_user(manager).fields_get())
        self.assertIn("api_sync_notify_secret", Settings.with_user(self.env.ref("base.user_admin")).fields_get())
        with self.assertRaises(AccessError):
            self.env["ir.config_parameter"].with_user(manager).search_read(
                [("key", "=", "stock_sync_api.notify_secret")], ["value"]
            )
        # Managers see the queue; nobody writes it through the ORM.
        self._make_product("T-RAISE", on_hand=40)
        self._notify(["T-RAISE"])
        Queue = self.env["stock.sync.notification"].with_user(manager)
        self.assertEqual(len(Queue.search([])), 1)
        for operation in ("write", "create", "unlink"):
            with self.subTest(operation=operation), self.assertRaises(AccessError):
                Queue.check_access(operation)
