
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..engine import read_brake
from .common import StockSyncApiCase, set_api_quantity

#: The catalog of these tests: 50 products, each with 5 on hand in Odoo.
CATALOG = [f"BR-{n:03}" for n in range(1, 51)]
ON_HAND = 5


@tagged("post_install", "-at_install")
class TestBrake(StockSyncApiCase):
    """A run that would wipe or rewrite the stock is held for a person."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clear_external_ids()
        # The brake's defaults: held over 10% dropping to zero or 50% changing, from 20 products.
        cls.zero_api = cls._start_mock_api([{"product_id": pid, "quantity": "0"} for pid in CATALOG])
        drift = {pid: ON_HAND for pid in CATALOG}
        drift.update({"BR-001": 7, "BR-002": 8, "BR-003": 2, "BR-004": 0, "BR-005": 0})
        cls.drift_api = cls._start_mock_api([{"product_id": pid, "quantity": q} for pid, q in drift.items()])
        cls.catalog = cls.env["product.template"].concat(*(cls._make_product(pid, on_hand=ON_HAND) for pid in CATALOG))

    def _moves(self):
        return (
            self.env["stock.move"]
            .sudo()
            .search([("product_id", "in", self.catalog.product_variant_ids.ids), ("is_inventory", "=", True)])
        )

    def _last_run(self):
        return self.env["stock.sync.run"].search([], order="id desc", limit=1)

    def test_api_answering_zero_for_everything_is_held(self):
        self._set_params(base_url=self.zero_api, batch_size=20)
        self.assertIs(self._run_cron(), True)
        run = self._last_run()
        self.assertEqual((run.trigger, run.state, run.issue), ("cron", "held", "held"))
        # Held on its first batch; nothing moved, and the plan is whole.
        self.assertIn("20 of the 20 products compared would drop to zero", run.hold_reason)
        self.assertFalse(self._moves())
        self.assertEqual([self._on_hand(t) for t in self.catalog], [ON_HAND] * 50)
        self.assertEqual(len(run.line_ids), 50)
        self.assertEqual(set(run.line_ids.mapped("state")), {"planned"})
        self.assertEqual(set(run.line_ids.mapped("on_hand")), {ON_HAND})
        self.assertEqual(set(run.line_ids.mapped("api_quantity")), {0})
        self.assertEqual((run.done_count, run.changed_count, run.zero_count), (50, 50, 50))
        self.assertIn("Held by the brake", self.catalog[0].api_sync_message)
        # A change not applied leaves the status of the product as it was: never synced.
        self.assertEqual(set(self.catalog.mapped("api_sync_state")), {"never"})
        self.assertFalse(any(self.catalog.mapped("api_last_sync_date")))
        self.assertTrue(all(self.catalog.mapped("api_last_attempt_date")))
        self.assertEqual(self.catalog.api_last_run_id, run)
        # The inventory administrators are alerted.
        alerts = run.message_ids.filtered(lambda m: m.message_type == "comment" and m.partner_ids)
        self.assertEqual(len(alerts), 1)
        self.assertIn(self.stock_manager.partner_id, alerts.partner_ids)

    def test_normal_drift_applies(self):
        # A tenth of the catalog changes, two products sell out.
        self._set_params(base_url=self.drift_api, batch_size=20)
        self.assertIs(self._run_cron(), True)
        run = self._last_run()
        self.assertEqual((run.state, run.hold_reason, run.changed_count, run.zero_count), ("done", False, 5, 2))
        self.assertEqual(len(self._moves()), 5)
        self.assertEqual([self._on_hand(t) for t in self.catalog[:6]], [7, 8, 2, 0, 0, ON_HAND])
        self.assertEqual(set(run.line_ids.mapped("state")), {"applied"})

    def test_rewriting_most_of_the_stock_is_held(self):
        self._set_params(base_url=self.drift_api, batch_size=50, hold_change_percent=5)
        self.catalog.action_api_sync()
        run = self._last_run()
        self.assertEqual(run.state, "held")
        self.assertIn("5 of the 50 products compared would change", run.hold_reason)
        self.assertFalse(self._moves())

    def test_small_runs_are_never_held(self):
        self._set_params(base_url=self.zero_api)
        one = self.catalog[0]
        one.action_api_sync()
        self.assertEqual(one.api_last_run_id.state, "done")
        self.assertEqual(self._on_hand(one), 0)
        # Under hold_min_products compared, however many drop to zero.
        self._set_params(hold_min_products=51)
        self.catalog.action_api_sync()
        self.assertEqual(self._last_run().state, "done")
        self.assertEqual(sum(self._on_hand(t) for t in self.catalog), 0)

    def test_held_after_batches_already_applied(self):
        """Judged before each batch on everything compared so far: the batches
        before the disaster stay applied, no batch after it moves anything."""
        for pid in CATALOG[:20]:
            set_api_quantity(self.zero_api, pid, ON_HAND + 1)  # the first batch goes up by one
        try:
            self._set_params(base_url=self.zero_api, batch_size=20, hold_zero_percent=30, hold_change_percent=100)
            self.catalog.action_api_sync()
        finally:
            for pid in CATALOG[:20]:
                set_api_quantity(self.zero_api, pid, 0)
        run = self._last_run()
        self.assertEqual(run.state, "held")
        # 20 raised, then 20 of 40 to zero: over 30%.
        self.assertIn("20 of the 40 products compared would drop to zero", run.hold_reason)
        self.assertEqual(len(self._moves()), 20)
        self.assertEqual([self._on_hand(t) for t in self.catalog], [ON_HAND + 1] * 20 + [ON_HAND] * 30)
        self.assertEqual(run.line_ids.filtered(lambda line: line.state == "applied").product_tmpl_id, self.catalog[:20])
        self.assertEqual(run.line_ids.filtered(lambda line: line.state == "planned").product_tmpl_id, self.catalog[20:])
        self.assertFalse(run.line_ids.filtered(lambda line: line.state == "planned").move_id)

    def test_apply_syncs_again_with_fresh_answers(self):
        self._set_params(base_url=self.zero_api, batch_size=25)
        self.assertIs(self._run_cron(), True)
        run = self._last_run()
        self.assertEqual(run.state, "held")
        # The API is fixed for one product meanwhile: the fresh answer wins.
        set_api_quantity(self.zero_api, "BR-001", 60)
        try:
            with self.assertRaises(AccessError):
                run.with_user(self.stock_user).action_apply()
            run.action_apply()
        finally:
            set_api_quantity(self.zero_api, "BR-001", 0)
        self.assertEqual((run.state, run.brake_lifted, run.hold_reason), ("done", True, False))
        self.assertEqual(self._on_hand(self.catalog[0]), 60)
        self.assertEqual([self._on_hand(t) for t in self.catalog[1:]], [0] * 49)
        self.assertEqual(len(self._moves()), 50)
        lines = run.line_ids
        self.assertEqual(set(lines.mapped("state")), {"applied"})
        self.assertEqual(lines.filtered(lambda line: line.external_id == "BR-001").api_quantity, 60)
        self.assertEqual(len(lines.move_id), 50)
        self.assertEqual(self.catalog[0].api_sync_state, "ok")
        with self.assertRaises(UserError):
            run.action_apply()

    def test_preview_then_apply(self):
        self._set_params(base_url=self.drift_api)
        run = self.env["stock.sync.run"].browse(self.catalog.action_api_sync_preview()["res_id"])
        self.assertEqual((run.state, run.changed_count), ("planned", 5))
        self.assertFalse(self._moves())
        set_api_quantity(self.drift_api, "BR-001", 9)
        try:
            run.action_apply()
        finally:
            set_api_quantity(self.drift_api, "BR-001", 7)
        self.assertEqual(run.state, "done")
        self.assertEqual(self._on_hand(self.catalog[0]), 9)
        self.assertEqual(len(self._moves()), 5)

    def test_discard_moves_nothing(self):
        self._set_params(base_url=self.zero_api)
        self.catalog.action_api_sync()
        run = self._last_run()
        self.assertEqual(run.state, "held")
        with self.assertRaises(AccessError):
            run.with_user(self.stock_user).action_discard()
        run.action_discard()
        self.assertEqual(run.state, "discarded")
        self.assertFalse(self._moves())
        self.assertEqual([self._on_hand(t) for t in self.catalog], [ON_HAND] * 50)

    def test_next_round_after_a_held_one_is_held_again_without_a_new_alert(self):
        self._set_params(base_url=self.zero_api)
        self.assertIs(self._run_cron(), True)
        first = self._last_run()
        self.assertIs(self._run_cron(), True)
        second = self._last_run()
        self.assertNotEqual(first, second)
        self.assertEqual((first.state, second.state), ("discarded", "held"))
        self.assertTrue(any(second.name in body for body in first.message_ids.mapped("body")))
        self.assertFalse(second.message_ids.filtered(lambda m: m.message_type == "comment" and m.partner_ids))
        self.assertFalse(self._moves())
        # Once the API answers right again, the next round applies as usual.
        self._set_params(base_url=self.drift_api)
        self.assertIs(self._run_cron(), True)
        third = self._last_run()
        self.assertEqual((third.state, third.changed_count), ("done", 5))
        self.assertEqual(second.state, "discarded")

    def test_thresholds_are_checked(self):
        product = self.catalog[0]
        for key, value in (("hold_zero_percent", "101"), ("hold_change_percent", "-1"), ("hold_zero_percent", "ten")):
            self._set_params(**{key: value})
            product.action_api_sync()
            self.assertEqual(product.api_sync_state, "error")
            self.assertIn(f"stock_sync_api.{key}", product.api_sync_message)
            self.assertEqual(self._on_hand(product), ON_HAND)
            self._set_params(**{key: ""})
        Settings = self.env["res.config.settings"].sudo()
        with self.assertRaisesRegex(Exception, "Hold When Dropping to Zero"):
            Settings.create({"api_sync_hold_zero_percent": 150})
        with self.assertRaisesRegex(Exception, "Hold Only From"):
            Settings.create({"api_sync_hold_min_products": -3})
        settings = Settings.create({"api_sync_hold_zero_percent": 0, "api_sync_hold_change_percent": 25.5})
        settings.execute()
        self.assertEqual(read_brake(self.env), (0.0, 25.5, 20))
