import functools
import logging
from contextlib import contextmanager
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from ..engine import SyncRound
from ..engine.batch import BatchSync
from ..engine.entry import pending_products
from ..engine.round import MOVED_TRIES
from .common import StockSyncApiMixin, find_binary

#: What the stock API says of this test's products.
API = {"W-MOVER": "50", "W-CALM-1": "20", "W-CALM-2": "30"}

#: On hand in Odoo before the sync.
ON_HAND = {"W-MOVER": 40, "W-CALM-1": 10, "W-CALM-2": 10}


@tagged("post_install", "-at_install")
class TestBusyWarehouse(StockSyncApiMixin, TransactionCase):
    """A delivery validated in another transaction while the sync applies the
    same product: the sync's transaction, older than the delivery's commit,
    cannot update the product's quant (PostgreSQL's repeatable read), so the
    product is tried again in a new transaction.

    Every transaction here is a real one, each in a cursor of its own: the
    settings and the products are committed, the sync runs in its cursor, and
    another cursor commits a delivery between the sync's read of the on-hand
    quantity and its apply (a moment that cannot be timed from outside, so
    the read is wrapped). What was committed is undone at the end. The
    test's own transaction touches none of it (it would hold their rows).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api_url = cls._start_mock_api([{"product_id": pid, "quantity": q} for pid, q in API.items()])

    def setUp(self):
        super().setUp()
        params = {
            "base_url": self.api_url,
            "cli_path": find_binary("sync-cli", "SYNC_CLI_BIN"),
            "timeout": "5",
            "retries": "0",
            "batch_size": "100",
        }
        with self._cursor() as env:
            config = env["ir.config_parameter"]
            saved = {key: config.get_param(f"stock_sync_api.{key}") for key in params}
            for key, value in params.items():
                config.set_param(f"stock_sync_api.{key}", value)
            # Only these products have an external ID while the test runs.
            others = env["product.product"].with_context(active_test=False).search([("api_external_id", "!=", False)])
            saved_ids = {variant.id: variant.api_external_id for variant in others}
            others.write({"api_external_id": False})
            self.location = env.ref("stock.warehouse0").lot_stock_id
            self.template_ids = {}
            for external_id, quantity in ON_HAND.items():
                template = env["product.template"].create(
                    {"name": f"Product {external_id}", "is_storable": True, "api_external_id": external_id}
                )
                env["stock.quant"]._update_available_quantity(template.product_variant_id, self.location, quantity)
                self.template_ids[external_id] = template.id
        self.addCleanup(self._undo, saved, saved_ids)

    def _undo(self, saved, saved_ids):
        with self._cursor() as env:
            templates = env["product.template"].browse(list(self.template_ids.values()))
            env["stock.sync.run"].search([("line_ids.product_tmpl_id", "in", templates.ids)]).unlink()
            templates.write({"api_external_id": False, "active": False})
            for variant_id, external_id in saved_ids.items():
                env["product.product"].browse(variant_id).api_external_id = external_id
            for key, value in saved.items():
                env["ir.config_parameter"].set_param(f"stock_sync_api.{key}", value or False)

    @contextmanager
    def _cursor(self):
        """A transaction of its own, committed at the end."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    def _deliver(self, external_id, quantity=1):
        """Validate a delivery of ``quantity`` units, committed in a transaction of its own."""
        with self._cursor() as env:
            variant = env["product.template"].browse(self.template_ids[external_id]).product_variant_id
            move = env["stock.move"].create(
                {
                    "product_id": variant.id,
                    "product_uom_qty": quantity,
                    "location_id": self.location.id,
                    "location_dest_id": env.ref("stock.stock_location_customers").id,
                }
            )
            move._action_confirm()
            move._action_assign()
            move.picked = True
            move._action_done()
            self.assertEqual(move.state, "done")

    @contextmanager
    def _delivering_after_the_read(self, external_id, times):
        """Each of the first ``times`` comparisons of a batch with the
        on-hand quantity is followed by a delivery of ``external_id``,
        committed before the batch applies anything."""
        real_compare = BatchSync._compare
        deliveries = []

        def compare_then_deliver(batch_sync, *args, **kwargs):
            changes = real_compare(batch_sync, *args, **kwargs)
            if len(deliveries) < times:
                deliveries.append(external_id)
                self._deliver(external_id)
            return changes

        with patch.object(BatchSync, "_compare", compare_then_deliver):
            yield deliveries

    def _scheduled_round(self):
        """A round that commits after each batch, as the scheduled actions' do."""
        with self._cursor() as env:
            templates = env["product.template"].browse(list(self.template_ids.values()))
            run = env["stock.sync.run"]._start("cron", templates)
            SyncRound(run, after_batch=lambda batch: env.cr.commit() or True).sync(templates)
            return run.id

    def _state(self, run_id):
        """``(run, {external_id: (on hand, status, message, inventory moves)})``, as committed."""
        with self._cursor() as env:
            run = env["stock.sync.run"].browse(run_id)
            result = {}
            for external_id, template_id in self.template_ids.items():
                template = env["product.template"].browse(template_id)
                variant = template.product_variant_id
                moves = env["stock.move"].search_count([("product_id", "=", variant.id), ("is_inventory", "=", True)])
                on_hand = variant.with_context(location=self.location.id).qty_available
                result[external_id] = (on_hand, template.api_sync_state, template.api_sync_message, moves)
            counts = (run.state, run.done_count, run.changed_count, run.error_count, len(run.line_ids))
            return counts, result

    def test_a_product_moved_during_the_round_is_tried_again_and_synced(self):
        with self._delivering_after_the_read("W-MOVER", times=1) as deliveries:
            run_id = self._scheduled_round()
        self.assertEqual(deliveries, ["W-MOVER"])
        counts, products = self._state(run_id)
        # The second try compared the API's answer with the on-hand of its
        # moment (40 - 1 delivered) and applied the difference.
        self.assertEqual(products["W-MOVER"], (50, "ok", "On hand 39 -> 50 Units", 1))
        # Its batch-mates were applied at the first try, once.
        self.assertEqual(products["W-CALM-1"], (20, "ok", "On hand 10 -> 20 Units", 1))
        self.assertEqual(products["W-CALM-2"], (30, "ok", "On hand 10 -> 30 Units", 1))
        self.assertEqual(counts, ("done", 3, 3, 0, 3))

    def test_a_product_that_keeps_moving_ends_in_error_saying_so(self):
        with (
            self._delivering_after_the_read("W-MOVER", times=MOVED_TRIES) as deliveries,
            self.assertLogs("odoo.addons.stock_sync_api.engine.batch", level=logging.WARNING),
        ):
            run_id = self._scheduled_round()
        self.assertEqual(len(deliveries), MOVED_TRIES)
        counts, products = self._state(run_id)
        on_hand, state, message, moves = products["W-MOVER"]
        # It keeps its stock (40 less the deliveries), and says why in words.
        self.assertEqual((on_hand, state, moves), (40 - MOVED_TRIES, "error", 0))
        self.assertEqual(
            message,
            f"Its stock kept moving in Odoo while it was synchronised ({MOVED_TRIES} tries): "
            "it will be synchronised in the next round.",
        )
        self.assertNotIn("serialize", message)
        self.assertEqual(products["W-CALM-1"], (20, "ok", "On hand 10 -> 20 Units", 1))
        self.assertEqual(products["W-CALM-2"], (30, "ok", "On hand 10 -> 30 Units", 1))
        self.assertEqual(counts, ("done", 3, 2, 1, 3))

    def test_a_product_moved_when_the_time_is_up_waits_for_the_next_call(self):
        """The scheduler is told the products done: one to try again is not,
        so a call out of time is taken up again at once, not in an hour."""
        told = []

        def out_of_time(batch):
            batch.env.cr.commit()
            told.append(sorted(batch.mapped("api_external_id")))
            return False

        with self._delivering_after_the_read("W-MOVER", times=1), self._cursor() as env:
            templates = env["product.template"].browse(list(self.template_ids.values()))
            run = env["stock.sync.run"]._start("cron", templates)
            SyncRound(run, after_batch=out_of_time).sync(templates)
            self.assertEqual(told, [["W-CALM-1", "W-CALM-2"]])
            self.assertEqual(run.state, "running")
            # The next call of the scheduled action takes it.
            self.assertEqual(pending_products(run).mapped("api_external_id"), ["W-MOVER"])

    def test_a_product_moved_during_a_click_is_synced_all_the_same(self):
        """The button's request is one transaction: Odoo's own retry of a
        request that met a concurrency error runs it again, in a new one."""
        with self._delivering_after_the_read("W-MOVER", times=1) as deliveries, self._cursor() as env:
            template = env["product.template"].browse(self.template_ids["W-MOVER"])
            # The random pause of Odoo's retry is left out.
            with patch("odoo.service.model.time.sleep"):
                action = retrying(functools.partial(template.action_api_sync), env)
        self.assertEqual(deliveries, ["W-MOVER"])
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["params"]["message"], "On hand 39 -> 50 Units")
        with self._cursor() as env:
            template = env["product.template"].browse(self.template_ids["W-MOVER"])
            run_id = template.api_last_run_id.id
            # The first try left nothing behind: one run, one move.
            self.assertEqual(env["stock.sync.run"].search_count([("product_tmpl_ids", "in", template.ids)]), 1)
        counts, products = self._state(run_id)
        self.assertEqual(products["W-MOVER"], (50, "ok", "On hand 39 -> 50 Units", 1))
        self.assertEqual(counts, ("done", 1, 1, 0, 1))
