import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from odoo import fields
from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import get_db_name

from ..engine import SyncRound

WORKSPACE_DIR = Path(__file__).resolve().parents[2]

#: What the mock-api of these tests knows: every case the tests need.
API_PRODUCTS = [
    {"product_id": "T-RAISE", "quantity": "50"},
    {"product_id": "T-LOWER", "quantity": 10},
    {"product_id": "T-SAME", "quantity": "7"},
    {"product_id": "T-ZERO", "quantity": "0"},
    {"product_id": "T-MIX-OK", "quantity": "12"},
    {"product_id": "T-CRON-1", "quantity": "5"},
    {"product_id": "T-CRON-2", "quantity": "6"},
    {"product_id": "T-CRON-3", "quantity": "7"},
    {"product_id": "T-500", "quantity": "1", "fault": "error_500"},
    {"product_id": "T-JSON", "quantity": "1", "fault": "invalid_json"},
    {"product_id": "T-WRONG", "quantity": "1", "fault": "wrong_product_id"},
    {"product_id": "T-NEG", "quantity": "1", "fault": "negative_quantity"},
    {"product_id": "T-HTML", "quantity": "1", "fault": "html_page"},
    {"product_id": "T-SLOW", "quantity": "1", "fault": "slow"},
]


def find_binary(name, env_var):
    """The path of one of the workspace's programs, or an error saying how to get it.

    Looked up in ``env_var``, then the workspace's ``target/debug`` build,
    then the PATH.
    """
    candidates = [
        os.environ.get(env_var),
        str(WORKSPACE_DIR / "target" / "debug" / name),
        shutil.which(name),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(f"{name} not found: build it with `cargo build`, put it on PATH or set {env_var}")


def set_api_quantity(api_url, external_id, quantity):
    """Change what mock-api answers for a product, as a demo would (``PUT``)."""
    put_api_stock(api_url, external_id, {"quantity": str(quantity)})


def put_api_stock(api_url, external_id, body):
    """``PUT`` ``body`` (a quantity, or locations) to mock-api's product.

    Odoo's tests block HTTP from their own process: a child process sends it.
    """
    script = (
        "import sys, urllib.request\n"
        "request = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method='PUT',"
        " headers={'Content-Type': 'application/json'})\n"
        "urllib.request.urlopen(request, timeout=10).read()\n"
    )
    data = json.dumps(body)
    subprocess.run([sys.executable, "-c", script, f"{api_url}/api/stock/{external_id}", data], check=True, timeout=30)


def closed_port_url():
    """A URL on a localhost port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class StockSyncApiMixin:
    """Runs the real mock-api on a free port and points the addon at it and at the real sync-cli.

    Mixed into a TransactionCase or an HttpCase, whose ``setUpClass`` calls
    ``_setup_stock_sync_api()``.
    """

    @classmethod
    def _setup_stock_sync_api(cls):
        cls.sync_cli = find_binary("sync-cli", "SYNC_CLI_BIN")
        cls.api_url = cls._start_mock_api(API_PRODUCTS)
        cls._set_params(
            base_url=cls.api_url,
            cli_path=cls.sync_cli,
            timeout=1,
            retries=0,
            concurrency=8,
            batch_size=100,
        )
        cls.location = cls.env.ref("stock.warehouse0").lot_stock_id

    @classmethod
    def _start_mock_api(cls, products, *extra_args, env=None, stderr=subprocess.DEVNULL):
        """Start mock-api with ``products``; :return: its URL.

        :param env: its environment (default: the server's)
        :param stderr: where its log goes
        """
        data_dir = tempfile.mkdtemp(prefix="stock_sync_api_test_")
        cls.addClassCleanup(shutil.rmtree, data_dir, ignore_errors=True)
        data_file = Path(data_dir) / "products.json"
        data_file.write_text(json.dumps(products))
        process = subprocess.Popen(
            [find_binary("mock-api", "MOCK_API_BIN"), "--bind", "127.0.0.1:0", "--data", str(data_file), *extra_args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
        cls.addClassCleanup(cls._stop, process)
        first_line = process.stdout.readline().strip()
        prefix = "listening on "
        if not first_line.startswith(prefix):
            raise RuntimeError(f"mock-api did not start: its first line was {first_line!r}")
        return first_line[len(prefix) :]

    @staticmethod
    def _stop(process):
        process.kill()
        process.wait(timeout=10)

    @classmethod
    def _set_params(cls, **values):
        params = cls.env["ir.config_parameter"].sudo()
        for key, value in values.items():
            params.set_param(f"stock_sync_api.{key}", str(value))

    @classmethod
    def _make_product(cls, external_id, on_hand=0.0, **values):
        """A storable product with ``on_hand`` units at the sync location."""
        vals = {"name": f"Product {external_id}", "is_storable": True, "api_external_id": external_id}
        vals.update(values)
        template = cls.env["product.template"].sudo().create(vals)
        if on_hand:
            cls.env["stock.quant"].sudo()._update_available_quantity(
                template.product_variant_id, cls.location, on_hand
            )
        # Written to the variant by the template's inverse: in the database
        # before a request of another process (a notification) looks for it.
        cls.env.flush_all()
        return template.with_env(cls.env)

    def _run_cron(self, xmlid="stock_sync_api.ir_cron_api_sync"):
        """Run a scheduled action as Settings > Technical > Scheduled Actions > Run Manually does.

        The job runs in a cursor of its own; test mode makes it wrap the test's
        (an HttpCase is in test mode already).
        """
        cron = self.env.ref(xmlid).sudo()
        if isinstance(self, HttpCase):
            return cron.method_direct_trigger()
        with self.enter_registry_test_mode():
            return cron.method_direct_trigger()

    def _sync(self, templates, run=None, after_batch=None):
        """Sync ``templates`` through the engine, in ``run`` (a new manual run when not given)."""
        run = run or self.env["stock.sync.run"]._start("manual", templates)
        return SyncRound(run, after_batch).sync(templates)

    @classmethod
    def _clear_external_ids(cls):
        """Only the test's own products have an external ID (demo data has others)."""
        cls.env["product.product"].sudo().with_context(active_test=False).search(
            [("api_external_id", "!=", False)]
        ).write({"api_external_id": False})

    def _on_hand(self, template):
        # Archived products' variants are archived too.
        variant = template.with_context(active_test=False).product_variant_ids[:1]
        return variant.with_context(location=self.location.id).qty_available

    def _inventory_moves(self, template):
        return self.env["stock.move"].sudo().search(
            [("product_id", "=", template.product_variant_id.id), ("is_inventory", "=", True)]
        )


class StockSyncApiCase(StockSyncApiMixin, TransactionCase):
    """The addon pointed at the real mock-api and sync-cli, run as a stock manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_stock_sync_api()
        cls.stock_manager = new_test_user(
            cls.env,
            login="sync_stock_manager",
            groups="base.group_user,stock.group_stock_manager",
            name="Stock Manager",
        )
        cls.stock_user = new_test_user(
            cls.env, login="sync_stock_user", groups="base.group_user,stock.group_stock_user", name="Stock User"
        )
        cls.internal_user = new_test_user(
            cls.env, login="sync_internal_user", groups="base.group_user", name="Internal User"
        )
        cls.env = cls.env(user=cls.stock_manager)


#: The notifications' shared secret in the tests.
NOTIFY_SECRET = "test-notify-s3cret-7d41c9"
NOTIFY_ROUTE = "/stock_sync_api/notify"


def notify_signature(secret, timestamp, body):
    """The signature the stock API sends, computed as its contract says (not
    with the addon's own code): ``sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class StockSyncNotifyMixin(StockSyncApiMixin):
    """Sends notifications to the route of the Odoo the HttpCase runs, as the stock API does."""

    NOTIFY_CRON = "stock_sync_api.ir_cron_api_sync_notified"

    @classmethod
    def _setup_notifications(cls, secret=NOTIFY_SECRET):
        cls._setup_stock_sync_api()
        cls._clear_external_ids()
        cls._set_params(notify_secret=secret)
        cls.notify_cron = cls.env.ref(cls.NOTIFY_CRON).sudo()

    def _notify(self, product_ids=(), *, body=None, secret=NOTIFY_SECRET, timestamp=None, headers=None, omit=()):
        """POST a notification; ``body`` (bytes) replaces ``{"product_ids": [...]}``, ``headers`` add to
        or replace the signed ones, and the headers named in ``omit`` are left out.

        :return: the ``requests`` response
        """
        if body is None:
            body = json.dumps({"product_ids": list(product_ids)}).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            # The stock API has no session: the database is named as Odoo allows it.
            "X-Odoo-Database": get_db_name(),
            "Content-Type": "application/json",
            "X-Stock-Sync-Timestamp": str(timestamp),
            "X-Stock-Sync-Signature": notify_signature(secret, timestamp, body),
        }
        all_headers.update(headers or {})
        for name in omit:
            all_headers.pop(name)
        response = self.url_open(NOTIFY_ROUTE, data=body, headers=all_headers, method="POST")
        self.env.invalidate_all()
        return response

    def _queued(self):
        """``{external_id: run}`` of the products waiting in the notification queue (or being synced)."""
        rows = self.env["stock.sync.notification"].sudo().search([])
        return {row.product_id.api_external_id: row.run_id for row in rows}

    def _pending_triggers(self):
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", self.notify_cron.id)])

    def _run_notified_cron(self):
        """Run the notified products' scheduled action as the cron worker does
        once triggered: its due triggers are used up as it starts.

        (Odoo clears them itself on the database's clock, which in a test is
        that of the test's transaction, older than the triggers it made.)
        """
        self._pending_triggers().filtered(lambda trigger: trigger.call_at <= fields.Datetime.now()).unlink()
        result = self._run_cron(self.NOTIFY_CRON)
        self.env.invalidate_all()
        return result

    def _notified_runs(self):
        return self.env["stock.sync.run"].sudo().search([("trigger", "=", "notified")], order="id")
