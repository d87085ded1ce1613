import logging
import os
import stat
import sys
import tempfile
import textwrap
from pathlib import Path
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..engine import answers
from .common import StockSyncApiCase

TOKEN = "tok-3f9c2a7e51"

#: Every fault mock-api can inject, with the status message the product must end with.
FAULTS = {
    "error_500": "The stock API answered with an error: ",
    "invalid_json": "Invalid answer from the stock API: ",
    "wrong_product_id": "Invalid answer from the stock API: ",
    "negative_quantity": "Invalid answer from the stock API: ",
    "quantity_not_number": "Invalid answer from the stock API: ",
    "empty_body": "Invalid answer from the stock API: ",
    "html_page": "Invalid answer from the stock API: ",
    "huge_body": "Invalid answer from the stock API: ",
    "missing_quantity": "Invalid answer from the stock API: ",
    "endless_body": "The stock API did not answer in time: ",
    "slow": "The stock API did not answer in time: ",
}

#: Faults that pass on the retry: the product gets the API's quantity.
PASSING_FAULTS = ("error_503_once", "rate_limited_once")


@tagged("post_install", "-at_install")
class TestFaultMatrix(StockSyncApiCase):
    """Each fault of mock-api, end to end through Odoo, in one batch with good products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        products = [{"product_id": f"F-{fault}", "quantity": "9", "fault": fault} for fault in FAULTS]
        products += [{"product_id": f"F-{fault}", "quantity": "9", "fault": fault} for fault in PASSING_FAULTS]
        products += [
            {"product_id": "F-GOOD-1", "quantity": "11"},
            {"product_id": "F-GOOD-2", "quantity": 12.5},
            {"product_id": "F-HUGE-QUANTITY", "quantity": "1000000000000"},
        ]
        cls._set_params(base_url=cls._start_mock_api(products), retries=1, timeout=1, concurrency=16)

    def test_every_fault_in_one_batch(self):
        faulty = {fault: self._make_product(f"F-{fault}", on_hand=3) for fault in FAULTS}
        passing = {fault: self._make_product(f"F-{fault}", on_hand=3) for fault in PASSING_FAULTS}
        good = self._make_product("F-GOOD-1", on_hand=3)
        huge = self._make_product("F-HUGE-QUANTITY", on_hand=3)
        templates = self.env["product.template"].concat(good, *faulty.values(), *passing.values(), huge)
        with self.assertLogs("odoo.addons.stock_sync_api", level=logging.WARNING) as logs:
            templates.action_api_sync()
        for fault, message in FAULTS.items():
            product = faulty[fault]
            with self.subTest(fault=fault):
                self.assertEqual(product.api_sync_state, "error")
                self.assertTrue(product.api_sync_message.startswith(message), product.api_sync_message)
                # The URL is the integrator's: in the run line's details (and
                # the log), the product's message words the reason.
                line = product.api_last_run_id.line_ids.filtered(lambda line, f=fault: line.external_id == f"F-{f}")
                self.assertIn(f"/api/stock/F-{fault}", line.details)
                self.assertNotIn("/api/stock/", product.api_sync_message)
                self.assertEqual(self._on_hand(product), 3)
                self.assertFalse(self._inventory_moves(product))
                # The failure is logged with the product and its external ID.
                self.assertTrue(any(f"external ID 'F-{fault}'" in line for line in logs.output))
        for fault, product in passing.items():
            with self.subTest(fault=fault):
                self.assertEqual(product.api_sync_state, "ok")
                self.assertEqual(self._on_hand(product), 9)
        self.assertEqual(self._on_hand(good), 11)
        self.assertEqual(huge.api_sync_state, "error")
        self.assertIn("above the limit", huge.api_sync_message)
        self.assertEqual(self._on_hand(huge), 3)

    def test_quantity_above_the_configured_bound(self):
        self._set_params(max_quantity=10)
        product = self._make_product("F-GOOD-1", on_hand=3)
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "error")
        self.assertIn("above the limit of 10", product.api_sync_message)
        self.assertEqual(self._on_hand(product), 3)

    def test_bad_bound_setting_named(self):
        self._set_params(max_quantity="lots")
        product = self._make_product("F-GOOD-1", on_hand=3)
        product.action_api_sync()
        self.assertEqual(
            product.api_sync_message,
            "The setting stock_sync_api.max_quantity is 'lots'; it must be a number between 1 and 100000000000000.",
        )

    def test_fractional_quantity(self):
        product = self._make_product("F-GOOD-2", on_hand=3)
        product.action_api_sync()
        self.assertEqual(self._on_hand(product), 12.5)
        self.assertEqual(product.api_sync_message, "On hand 3 -> 12.5 Units")


class WorkerStopped(Exception):
    """Stands for the end of an Odoo worker in the middle of the scheduled action."""


@tagged("post_install", "-at_install")
class TestInterruptions(StockSyncApiCase):
    """Runs cut short: what was answered or committed stays, nothing is applied twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        products = [{"product_id": f"I-{n}", "quantity": str(10 + n)} for n in range(1, 6)]
        cls._set_params(base_url=cls._start_mock_api(products))

    def _stand_in_cli(self, body):
        """A stand-in for sync-cli: the real one never dies half-way on its own."""
        folder = tempfile.mkdtemp(prefix="stock_sync_api_test_")
        self.addCleanup(lambda: [p.unlink() for p in Path(folder).iterdir()] and os.rmdir(folder))
        path = Path(folder) / "sync-cli"
        path.write_text(
            f"#!{sys.executable}\n"
            "import json, os, signal, sys\n"
            "ids = [line.rstrip('\\n') for line in sys.stdin if line.strip()]\n" + textwrap.dedent(body)
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return str(path)

    def test_sync_cli_killed_mid_batch(self):
        first = self._make_product("I-1", on_hand=2)
        second = self._make_product("I-2", on_hand=2)
        self._set_params(
            cli_path=self._stand_in_cli(
                """
                print(json.dumps({"external_id": ids[0], "status": "ok", "quantity": 11}), flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
                """
            )
        )
        (first | second).action_api_sync()
        # What it answered before dying is applied; the rest keeps its stock.
        self.assertEqual(self._on_hand(first), 11)
        self.assertEqual(first.api_sync_state, "ok")
        self.assertEqual(second.api_sync_state, "error")
        self.assertEqual(second.api_sync_message, "sync-cli failed: sync-cli was killed by signal 9")
        self.assertEqual(self._on_hand(second), 2)
        # The next run, with the real sync-cli, finishes and applies nothing twice.
        self._set_params(cli_path=self.sync_cli)
        (first | second).action_api_sync()
        self.assertEqual(self._on_hand(first), 11)
        self.assertEqual(len(self._inventory_moves(first)), 1)
        self.assertEqual(self._on_hand(second), 12)

    def test_worker_stopping_between_batches(self):
        self._clear_external_ids()
        self._set_params(batch_size=2)
        templates = self.env["product.template"].concat(
            *(self._make_product(f"I-{n}", on_hand=1) for n in range(1, 6))
        )
        cron = self.env.ref("stock_sync_api.ir_cron_api_sync").sudo()
        commit_progress = self.registry["ir.cron"]._commit_progress
        stops = []
        rounds = []

        def stop_after_first_batch(self, processed=0, **kwargs):
            # The worker cannot be killed inside a test: stop it right after the
            # first batch's commit, as a restart or a time limit would.
            if "remaining" in kwargs:
                rounds.append(kwargs["remaining"])
            result = commit_progress(self, processed, **kwargs)
            if processed and not stops:
                stops.append(processed)
                raise WorkerStopped("worker stopped")
            return result

        with (
            patch.object(self.registry["ir.cron"], "_commit_progress", stop_after_first_batch),
            mute_logger("odoo.addons.base.models.ir_cron"),
            self.enter_registry_test_mode(),
        ):
            cron.method_direct_trigger()
        self.assertEqual(stops, [2])
        # The committed batch stayed: the scheduler's next call found 3 products left...
        self.assertEqual(rounds, [5, 3])
        # ... and finished them.
        self.assertEqual(templates.mapped("api_sync_state"), ["ok"] * 5)
        self.assertEqual([self._on_hand(t) for t in templates], [11, 12, 13, 14, 15])
        self.assertEqual(sum(len(self._inventory_moves(t)) for t in templates), 5)


@tagged("post_install", "-at_install")
class TestConcurrency(StockSyncApiCase):
    """Other work on the same products while a sync runs."""

    def test_stock_moving_during_the_fetch(self):
        product = self._make_product("T-RAISE", on_hand=40)
        customers = self.env.ref("stock.stock_location_customers")
        real_fetch = answers.fetch

        def fetch_then_deliver(*args, **kwargs):
            # A delivery validated while sync-cli asks the API: it cannot be
            # timed from outside, so it is done right after the real fetch.
            results = real_fetch(*args, **kwargs)
            move = (
                self.env["stock.move"]
                .sudo()
                .create(
                    {
                        "product_id": product.product_variant_id.id,
                        "product_uom_qty": 5,
                        "location_id": self.location.id,
                        "location_dest_id": customers.id,
                    }
                )
            )
            move._action_confirm()
            move._action_assign()
            move.picked = True
            move._action_done()
            self.assertEqual(move.state, "done")
            return results

        with patch.object(answers, "fetch", fetch_then_deliver):
            product.action_api_sync()
        # The API's quantity, not the API's quantity minus the delivery.
        self.assertEqual(self._on_hand(product), 50)
        self.assertEqual(product.api_sync_message, "On hand 35 -> 50 Units")

    def test_button_while_another_sync_holds_the_product(self):
        # The product must be visible to other transactions: it is committed in
        # a cursor of its own, and removed at the end.
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            template_id = (
                env["product.template"]
                .create({"name": "Held product", "is_storable": True, "api_external_id": "T-HELD"})
                .id
            )
        self.addCleanup(self._remove_committed_product, template_id)
        with self.registry.cursor() as holder:
            # Another sync (e.g. the scheduled action) holds the product's row,
            # with the lock a sync takes.
            holder.execute("SELECT id FROM product_template WHERE id = %s FOR NO KEY UPDATE", [template_id])
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                template = env["product.template"].browse(template_id)
                action = template.action_api_sync()
                self.assertEqual(action["params"]["message"], "Already being synchronised: try again in a moment.")
                self.assertEqual(action["params"]["type"], "danger")
                self.assertEqual(template.api_sync_state, "never")
                self.assertFalse(
                    env["stock.move"].search([("product_id", "in", template.product_variant_ids.ids)])
                )
                cr.rollback()

    def _remove_committed_product(self, template_id):
        with self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["product.template"].browse(template_id).unlink()


@tagged("post_install", "-at_install")
class TestToken(StockSyncApiCase):
    """The token reaches the API, and nowhere else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        url = cls._start_mock_api([{"product_id": "K-1", "quantity": "8"}], "--token", TOKEN)
        cls._set_params(base_url=url)

    def test_right_token_syncs(self):
        self._set_params(token=TOKEN)
        product = self._make_product("K-1", on_hand=2)
        product.action_api_sync()
        self.assertEqual(self._on_hand(product), 8)
        self.assertNotIn(TOKEN, "".join(product.message_ids.mapped("body")))

    def test_wrong_or_missing_token_fails_without_showing_it(self):
        product = self._make_product("K-1", on_hand=2)
        for token in ("wrong-" + TOKEN, False):
            self._set_params(token=token or "")
            with self.assertLogs("odoo.addons.stock_sync_api", level=logging.DEBUG) as logs:
                action = product.action_api_sync()
            self.assertEqual(product.api_sync_state, "error")
            self.assertIn("401", product.api_sync_message)
            self.assertEqual(self._on_hand(product), 2)
            for text in (product.api_sync_message, str(action), *logs.output):
                self.assertNotIn(TOKEN, text)
