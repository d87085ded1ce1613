import re
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..engine import answers
from ..engine.batch import prefetch
from ..engine.types import StockChange
from ..synccli import FetchResult
from .common import StockSyncApiCase

#: Products of the batch tests: external ID -> quantity in the stock API.
API_QUANTITIES = {
    "B-RAISE": 9,
    "B-LOWER": 3,
    "B-NEW": 6,
    "B-SUB": 10,
    "B-ZERO": 0,
    "B-SAME-1": 4,
    "B-SAME-2": 5,
    "B-TWO-QUANTS": 9,
}


@tagged("post_install", "-at_install")
class TestBatch(StockSyncApiCase):
    """A batch does per product only what must be done per product, and the
    same as Odoo's own inventory count would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        products = [{"product_id": pid, "quantity": str(qty)} for pid, qty in API_QUANTITIES.items()]
        cls._set_params(base_url=cls._start_mock_api(products))
        cls.sub_location = cls.env["stock.location"].sudo().create({"name": "Shelf", "location_id": cls.location.id})

    def _product_updates(self, templates):
        """Run the sync of ``templates``; return the statements that update
        products, through the ORM or not (the variants' status and their
        templates' are written by one statement)."""
        cursor_class = type(self.env.cr)
        real_execute = cursor_class.execute
        updates = []

        def recording_execute(cr, query, params=None, log_exceptions=True):
            code = query.code if isinstance(query, SQL) else query
            if re.search(r"\bUPDATE\s+product_template\b", code.replace('"', "")):
                updates.append(code)
            return real_execute(cr, query, params, log_exceptions)

        with patch.object(cursor_class, "execute", recording_execute):
            self._sync(templates)
            self.env.flush_all()
        return updates

    def test_one_note_per_changed_product_none_for_the_others(self):
        changed = [self._make_product("B-RAISE", on_hand=4), self._make_product("B-LOWER", on_hand=10)]
        same = [self._make_product("B-SAME-1", on_hand=4), self._make_product("B-SAME-2", on_hand=5)]
        templates = self.env["product.template"].concat(*changed, *same)
        before = {t: t.message_ids for t in templates}
        templates.action_api_sync()
        for template, (old, new) in zip(changed, [("4", "9"), ("10", "3")], strict=True):
            notes = template.message_ids - before[template]
            self.assertEqual(len(notes), 1, template.api_external_id)
            self.assertIn(f"on hand at WH/Stock {old} -&gt; {new} Units", notes.body)
            self.assertEqual(notes.author_id, self.stock_manager.partner_id)
            self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))
            self.assertEqual(notes.message_type, "notification")
        for template in same:
            self.assertEqual(template.message_ids, before[template], template.api_external_id)
            self.assertEqual(template.api_sync_message, "Up to date: on hand matches the stock API.")

    def test_outcomes_written_in_one_query_per_batch(self):
        same = self.env["product.template"].concat(
            self._make_product("B-SAME-1", on_hand=4), self._make_product("B-SAME-2", on_hand=5)
        )
        self.env.flush_all()
        # Nothing changed: one query for the whole batch.
        self.assertEqual(len(self._product_updates(same)), 1)
        self.assertEqual(same.mapped("api_sync_state"), ["ok", "ok"])
        self.assertEqual(len(set(same.mapped("api_last_sync_date"))), 1)
        # Two changes, each with a message of its own: still one query.
        raised = self._make_product("B-RAISE", on_hand=4)
        lowered = self._make_product("B-LOWER", on_hand=10)
        self.env.flush_all()
        self.assertEqual(len(self._product_updates(same | raised | lowered)), 1)
        self.assertEqual(
            (same | raised | lowered).mapped("api_sync_message"),
            [
                "Up to date: on hand matches the stock API.",
                "Up to date: on hand matches the stock API.",
                "On hand 4 -> 9 Units",
                "On hand 10 -> 3 Units",
            ],
        )
        self.assertEqual((raised | lowered).mapped("api_sync_state"), ["ok", "ok"])

    def test_same_adjustment_as_odoo_inventory_count(self):
        """The sync's batch gives the moves, move lines and quants that counting
        each product in Odoo's inventory (set the counted quantity, apply) gives."""
        cases = {
            # external ID: (on hand at WH/Stock, on hand at WH/Stock/Shelf)
            "B-RAISE": (4, 0),
            "B-LOWER": (10, 0),
            "B-NEW": (0, 0),
            "B-SUB": (5, 2),
            "B-ZERO": (3, 0),
        }
        Quant = self.env["stock.quant"].sudo()
        synced, counted = {}, {}
        for external_id, (at_stock, at_shelf) in cases.items():
            synced[external_id] = self._make_product(external_id, on_hand=at_stock)
            counted[external_id] = self._make_product(False, name=f"Counted {external_id}", on_hand=at_stock)
            for template in (synced[external_id], counted[external_id]):
                if at_shelf:
                    Quant._update_available_quantity(template.product_variant_id, self.sub_location, at_shelf)

        self._sync(self.env["product.template"].concat(*synced.values()))

        # The same, counted in Odoo's inventory by the same user: the counted
        # quantity of WH/Stock is what it holds plus the difference.
        Count = self.env["stock.quant"].with_context(inventory_mode=True, inventory_name="Stock API synchronisation")
        vals_list = []
        for external_id, (at_stock, at_shelf) in cases.items():
            difference = API_QUANTITIES[external_id] - (at_stock + at_shelf)
            vals_list.append(
                {
                    "product_id": counted[external_id].product_variant_id.id,
                    "location_id": self.location.id,
                    "inventory_quantity": at_stock + difference,
                }
            )
        Count.create(vals_list).action_apply_inventory()

        self.maxDiff = None
        for external_id in cases:
            a, b = synced[external_id], counted[external_id]
            self.assertEqual(a.api_sync_state, "ok", external_id)
            self.assertEqual(self._on_hand(a), API_QUANTITIES[external_id], external_id)
            self.assertEqual(self._snapshot(a), self._snapshot(b), external_id)

    def test_apply_makes_no_query_per_product_beyond_odoos(self):
        """Applying a batch's changes, its counts included, makes no more
        queries than Odoo's own apply of the same counts: none per product
        of its own (Odoo's apply would read each product on its own)."""
        synced = [self._make_product(False, name=f"Applied {n}", on_hand=10) for n in range(30)]
        twins = [self._make_product(False, name=f"Counted {n}", on_hand=10) for n in range(30)]
        Count = self.env["stock.quant"].with_context(inventory_mode=True, inventory_name="Stock API synchronisation")
        counts = Count.create(
            [
                {"product_id": twin.product_variant_id.id, "location_id": self.location.id, "inventory_quantity": 7}
                for twin in twins
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        # The products read whole beforehand: the queries of the apply alone.
        counts.product_id.fetch()
        start = self.env.cr.sql_log_count
        counts.action_apply_inventory()
        self.env.flush_all()
        odoo_queries = self.env.cr.sql_log_count - start

        self.env.invalidate_all()
        products = self.env["product.product"].concat(*(template.product_variant_id for template in synced))
        prefetch(products)  # what a batch has read of its products
        start = self.env.cr.sql_log_count
        moves = self.env["stock.quant"]._api_sync_apply_inventory(
            dict.fromkeys(products, StockChange(10.0, 7.0)), self.location
        )
        self.env.flush_all()
        queries = self.env.cr.sql_log_count - start

        self.assertEqual(len(moves), 30)
        self.assertEqual([self._on_hand(template) for template in synced], [7.0] * 30)
        self.assertLessEqual(queries, odoo_queries, f"{queries} queries, {odoo_queries} for Odoo's own")

    def test_several_quants_at_the_location(self):
        """Odoo merges them later; the count goes on the first, as Odoo's own would."""
        product = self._make_product("B-TWO-QUANTS")
        Quant = self.env["stock.quant"].sudo()
        early = Quant.create(
            {
                "product_id": product.product_variant_id.id,
                "location_id": self.location.id,
                "quantity": 2,
                "in_date": fields.Datetime.from_string("2020-01-01 00:00:00"),
            }
        )
        Quant.create({"product_id": product.product_variant_id.id, "location_id": self.location.id, "quantity": 3})
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "ok")
        self.assertEqual(product.api_sync_message, "On hand 5 -> 9 Units")
        self.assertEqual(self._on_hand(product), 9)
        self.assertEqual(self._inventory_moves(product).quantity, 4)
        self.assertEqual(self._inventory_moves(product).move_line_ids.location_dest_id, self.location)
        self.assertEqual(early.quantity, 6)

    def _record_sync_steps(self, templates, fetch=None, **kwargs):
        """Sync ``templates``; return the steps taken, in order: ``("fetch",
        ids)`` now, ``("ahead", ids)`` started in the background, ``("apply",
        ids)``, ``("cancel", ids)`` of a background fetch still running."""
        steps = []
        real_fetch = fetch or answers.fetch
        Quant = self.registry["stock.quant"]
        real_apply = Quant._api_sync_apply_inventory

        def recording_fetch(external_ids, *args, **kw):
            steps.append(("fetch", list(external_ids)))
            return real_fetch(external_ids, *args, **kw)

        class RecordingBackgroundFetch(answers.BackgroundFetch):
            def __init__(self, external_ids, *args, **kw):
                self.ids = list(external_ids)
                steps.append(("ahead", self.ids))
                super().__init__(self.ids, *args, **kw)

            def cancel(self):
                if self._thread.is_alive():
                    steps.append(("cancel", self.ids))
                super().cancel()

        def recording_apply(records, changes, *args, **kw):
            steps.append(("apply", [p.product_tmpl_id.api_external_id for p in changes]))
            return real_apply(records, changes, *args, **kw)

        with (
            patch.object(answers, "fetch", recording_fetch),
            patch.object(answers, "BackgroundFetch", RecordingBackgroundFetch),
            patch.object(Quant, "_api_sync_apply_inventory", recording_apply),
        ):
            self._sync(templates, **kwargs)
        return steps

    def test_next_batch_fetched_while_this_one_is_applied(self):
        self._set_params(batch_size=2)
        names = ["B-RAISE", "B-LOWER", "B-NEW", "B-SUB", "B-ZERO"]
        templates = self.env["product.template"].concat(*(self._make_product(n, on_hand=1) for n in names))
        steps = self._record_sync_steps(templates)
        self.assertEqual(
            steps,
            [
                ("fetch", names[0:2]),
                ("ahead", names[2:4]),  # once the first batch's answers are in, not before
                ("apply", names[0:2]),
                ("ahead", names[4:]),
                ("apply", names[2:4]),
                ("apply", names[4:]),
            ],
        )
        self.assertEqual(templates.mapped("api_sync_state"), ["ok"] * 5)
        self.assertEqual([self._on_hand(t) for t in templates], [API_QUANTITIES[n] for n in names])

    def test_fetch_ahead_stopped_with_the_round(self):
        self._set_params(batch_size=2)
        names = ["B-RAISE", "B-LOWER", "B-NEW", "B-SUB", "B-ZERO"]
        templates = self.env["product.template"].concat(*(self._make_product(n, on_hand=1) for n in names))
        # The first batch is answered at once; the API then answers so slowly
        # that the round stops before the next batch's answers are in.
        self._set_params(base_url=self._start_mock_api([], "--latency-ms", "5000"), timeout=30)

        def answer_at_once(external_ids, settings):
            return {i: FetchResult(i, "ok", quantity=API_QUANTITIES[i]) for i in external_ids}

        first = templates[:2]
        steps = self._record_sync_steps(templates, fetch=answer_at_once, after_batch=lambda batch: False)
        self.assertEqual(
            steps,
            [("fetch", names[0:2]), ("ahead", names[2:4]), ("apply", names[0:2]), ("cancel", names[2:4])],
        )
        self.assertEqual(first.mapped("api_sync_state"), ["ok", "ok"])
        self.assertEqual((templates - first).mapped("api_sync_state"), ["never"] * 3)

    def _snapshot(self, template):
        """What an inventory adjustment leaves behind for a product, comparable
        between two products (no IDs, dates to the day)."""
        product = template.product_variant_id

        def values(records, names):
            rows = []
            for record in records:
                row = {}
                for name in names:
                    if name not in record._fields:
                        continue  # e.g. valuation fields without stock_account
                    value = record[name]
                    if record._fields[name].type in ("one2many", "many2many"):
                        value = len(value)  # the records themselves are compared apart
                    elif record._fields[name].type == "many2one":
                        value = value.ids  # shared records: locations, units, users...
                    row[name] = value
                rows.append(row)
            return rows

        moves = self.env["stock.move"].sudo().search([("product_id", "=", product.id)], order="id")
        move_fields = [
            "state", "is_inventory", "picked", "product_uom_qty", "quantity", "product_uom", "location_id",
            "location_dest_id", "reference", "origin", "company_id", "restrict_partner_id", "picking_id",
            "move_line_ids",
            # valuation (stock_account), when installed
            "value", "remaining_qty", "remaining_value", "is_in", "is_out", "account_move_id",
        ]  # fmt: skip
        line_fields = [
            "state", "quantity", "product_uom_id", "location_id", "location_dest_id", "lot_id", "package_id",
            "result_package_id", "owner_id", "reference", "company_id", "picked",
        ]  # fmt: skip
        quant_fields = [
            "location_id", "quantity", "reserved_quantity", "inventory_quantity", "inventory_diff_quantity",
            "inventory_quantity_set", "inventory_date", "user_id", "lot_id", "package_id", "owner_id",
        ]  # fmt: skip
        quants = self.env["stock.quant"].sudo().search([("product_id", "=", product.id)], order="location_id, id")
        return {
            "moves": values(moves, move_fields),
            "move_lines": values(moves.move_line_ids, line_fields),
            "quants": values(quants, quant_fields),
            "dates": {
                "move_done_today": all(m.date.date() == fields.Date.today() for m in moves),
            },
        }
