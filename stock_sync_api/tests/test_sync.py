from odoo.tests import tagged

from .common import StockSyncApiCase, closed_port_url


@tagged("post_install", "-at_install")
class TestSync(StockSyncApiCase):
    def test_quantity_raised(self):
        product = self._make_product("T-RAISE", on_hand=40)
        action = product.action_api_sync()
        self.assertEqual(self._on_hand(product), 50)
        self.assertEqual(product.api_sync_state, "ok")
        self.assertEqual(product.api_sync_message, "On hand 40 -> 50 Units")
        self.assertTrue(product.api_last_sync_date)
        self.assertEqual(action["params"]["message"], "On hand 40 -> 50 Units")
        self.assertEqual(action["params"]["type"], "success")
        move = self._inventory_moves(product)
        self.assertEqual(len(move), 1)
        self.assertEqual(move.state, "done")
        self.assertEqual(move.quantity, 10)
        self.assertEqual(move.location_dest_id, self.location)
        self.assertEqual(move.reference, "Stock API synchronisation")
        self.assertEqual(len(move.move_line_ids), 1)

    def test_quantity_lowered(self):
        product = self._make_product("T-LOWER", on_hand=25)
        product.action_api_sync()
        self.assertEqual(self._on_hand(product), 10)
        self.assertEqual(product.api_sync_message, "On hand 25 -> 10 Units")
        move = self._inventory_moves(product)
        self.assertEqual(move.quantity, 15)
        self.assertEqual(move.location_id, self.location)

    def test_quantity_to_zero_and_from_nothing(self):
        emptied = self._make_product("T-ZERO", on_hand=3)
        created = self._make_product("T-MIX-OK")
        (emptied | created).action_api_sync()
        self.assertEqual(self._on_hand(emptied), 0)
        self.assertEqual(self._on_hand(created), 12)
        self.assertEqual(created.api_sync_message, "On hand 0 -> 12 Units")

    def test_change_is_posted_in_chatter(self):
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        bodies = product.message_ids.mapped("body")
        self.assertTrue(
            any("on hand at WH/Stock 40 -&gt; 50" in body or "on hand at WH/Stock 40 -> 50" in body for body in bodies),
            bodies,
        )

    def test_unchanged_makes_no_move(self):
        product = self._make_product("T-SAME", on_hand=7)
        messages_before = len(product.message_ids)
        product.action_api_sync()
        self.assertEqual(self._on_hand(product), 7)
        self.assertFalse(self._inventory_moves(product))
        self.assertEqual(product.api_sync_state, "ok")
        self.assertTrue(product.api_last_sync_date)
        self.assertEqual(product.api_sync_message, "Up to date: on hand matches the stock API.")
        self.assertEqual(len(product.message_ids), messages_before)

    def test_status_is_not_a_change_of_the_product(self):
        """The sync's status columns leave the product's (and its variant's)
        write date alone: an hourly sync must not mark the catalog modified."""
        product = self._make_product("T-SAME", on_hand=7)
        self.env.flush_all()
        # Within a test's transaction every write has the same date: set an older one.
        self.env.cr.execute(
            "UPDATE product_template SET write_date = '2026-01-02 03:04:05' WHERE id = %s;"
            "UPDATE product_product SET write_date = '2026-01-02 03:04:05' WHERE id = %s",
            [product.id, product.product_variant_id.id],
        )
        self.env.invalidate_all()
        product.action_api_sync()
        self.assertEqual(product.api_sync_state, "ok")
        self.assertEqual(str(product.write_date), "2026-01-02 03:04:05")
        self.assertEqual(str(product.product_variant_id.write_date), "2026-01-02 03:04:05")

    def test_second_run_is_idempotent(self):
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        product.action_api_sync()
        self.assertEqual(self._on_hand(product), 50)
        self.assertEqual(len(self._inventory_moves(product)), 1)
        self.assertEqual(product.api_sync_message, "Up to date: on hand matches the stock API.")

    def assertFailedAndKept(self, product, on_hand, message_start):
        self.assertEqual(product.api_sync_state, "error")
        self.assertTrue(
            product.api_sync_message.startswith(message_start),
            f"{product.api_sync_message!r} does not start with {message_start!r}",
        )
        self.assertEqual(self._on_hand(product), on_hand)
        self.assertFalse(self._inventory_moves(product))
        self.assertFalse(product.api_last_sync_date)
        self.assertTrue(product.api_last_attempt_date)

    def test_not_found(self):
        product = self._make_product("T-UNKNOWN", on_hand=4)
        action = product.action_api_sync()
        self.assertFailedAndKept(product, 4, "Not found in the stock API: ")
        # The URL asked is in the run line's details, for the integrator.
        self.assertIn("/api/stock/T-UNKNOWN", product.api_last_run_id.line_ids.details)
        self.assertEqual(action["params"]["type"], "danger")
        self.assertTrue(action["params"]["message"].startswith("Not found in the stock API"))

    def test_invalid_responses(self):
        products = {
            external_id: self._make_product(external_id, on_hand=4)
            for external_id in ("T-JSON", "T-WRONG", "T-NEG", "T-HTML")
        }
        self.env["product.template"].concat(*products.values()).action_api_sync()
        for product in products.values():
            self.assertFailedAndKept(product, 4, "Invalid answer from the stock API: ")

    def test_http_error(self):
        product = self._make_product("T-500", on_hand=4)
        product.action_api_sync()
        self.assertFailedAndKept(product, 4, "The stock API answered with an error: ")
        self.assertIn("500", product.api_sync_message)

    def test_connection_error(self):
        url = closed_port_url()
        self._set_params(base_url=url)
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        self.assertFailedAndKept(product, 40, "Could not reach the stock API: ")
        self.assertIn(url, product.api_last_run_id.line_ids.details)

    def test_timeout(self):
        product = self._make_product("T-SLOW", on_hand=4)
        product.action_api_sync()
        self.assertFailedAndKept(product, 4, "The stock API did not answer in time: ")

    def test_sync_cli_missing(self):
        self._set_params(cli_path="/nonexistent/sync-cli")
        product = self._make_product("T-RAISE", on_hand=40)
        action = product.action_api_sync()
        self.assertFailedAndKept(product, 40, "sync-cli failed: sync-cli was not found at '/nonexistent/sync-cli'")
        self.assertEqual(action["params"]["type"], "danger")

    def test_not_configured(self):
        self.env["ir.config_parameter"].sudo().set_param("stock_sync_api.base_url", False)
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        self.assertFailedAndKept(product, 40, "The stock API URL is not set")

    def test_refused_url_never_shows_its_password(self):
        self._set_params(base_url="ftp://stock:s3cret-pass@stock.example.com")
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        self.assertFailedAndKept(product, 40, "The stock API URL 'ftp://***@stock.example.com' must start with")
        self.assertNotIn("s3cret", product.api_sync_message)
        self.assertNotIn("s3cret", product.api_last_run_id.failure_message)

    def test_bad_setting_named_in_error(self):
        self._set_params(timeout="soon")
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        self.assertFailedAndKept(product, 40, "The setting stock_sync_api.timeout is 'soon'")

    def test_mixed_batch(self):
        good = self._make_product("T-RAISE", on_hand=40)
        lowered = self._make_product("T-LOWER", on_hand=25)
        missing = self._make_product("T-UNKNOWN", on_hand=4)
        broken = self._make_product("T-500", on_hand=4)
        invalid = self._make_product("T-JSON", on_hand=4)
        action = (good | missing | broken | lowered | invalid).action_api_sync()
        self.assertEqual(self._on_hand(good), 50)
        self.assertEqual(self._on_hand(lowered), 10)
        self.assertFailedAndKept(missing, 4, "Not found in the stock API")
        self.assertFailedAndKept(broken, 4, "The stock API answered with an error")
        self.assertFailedAndKept(invalid, 4, "Invalid answer from the stock API")
        self.assertEqual(action["params"]["message"], "2 of 5 products synchronised, 3 with errors.")

    def test_batches_each_go_on(self):
        self._set_params(batch_size=2)
        products = [
            self._make_product("T-UNKNOWN", on_hand=1),
            self._make_product("T-RAISE", on_hand=40),
            self._make_product("T-500", on_hand=1),
            self._make_product("T-LOWER", on_hand=25),
            self._make_product("T-SAME", on_hand=7),
        ]
        templates = self.env["product.template"].concat(*products)
        batches = []
        self._sync(templates, after_batch=lambda batch: batches.append(batch.product_tmpl_id.ids) or True)
        self.assertEqual(batches, [templates.ids[0:2], templates.ids[2:4], templates.ids[4:]])
        self.assertEqual(templates.mapped("api_sync_state"), ["error", "ok", "error", "ok", "ok"])
        self.assertEqual(self._on_hand(products[3]), 10)

    def test_refused_products_keep_their_stock(self):
        attribute = self.env["product.attribute"].sudo().create(
            {"name": "Colour", "value_ids": [(0, 0, {"name": "Red"}), (0, 0, {"name": "Blue"})]}
        )
        variants = self._make_product(
            "T-RAISE",
            attribute_line_ids=[(0, 0, {"attribute_id": attribute.id, "value_ids": [(6, 0, attribute.value_ids.ids)]})],
        )
        consumable = self._make_product("T-LOWER", is_storable=False)
        lots = self._make_product("T-SAME", tracking="lot")
        (variants | consumable | lots).action_api_sync()
        # Several variants are no longer refused (each syncs under its own ID,
        # see test_variants.py): an ID given to such a template goes to no
        # variant, and nothing is synchronised.
        self.assertFalse(variants.product_variant_ids.filtered("api_external_id"))
        self.assertEqual(variants.api_sync_state, "never")
        self.assertEqual(consumable.api_sync_state, "error")
        self.assertIn("does not track inventory", consumable.api_sync_message)
        self.assertEqual(lots.api_sync_state, "error")
        self.assertIn("lots or serial numbers", lots.api_sync_message)
        for template in (variants, consumable, lots):
            self.assertFalse(
                self.env["stock.move"].sudo().search([("product_id", "in", template.product_variant_ids.ids)])
            )

    def test_products_without_external_id_are_left_alone(self):
        with_id = self._make_product("T-RAISE", on_hand=40)
        without_id = self._make_product(False, name="No ID")
        (with_id | without_id).action_api_sync()
        self.assertEqual(with_id.api_sync_state, "ok")
        self.assertEqual(without_id.api_sync_state, "never")
        with self.assertRaisesRegex(Exception, "None of these products has an external ID"):
            without_id.action_api_sync()

    def test_changing_the_external_id_resets_the_status(self):
        product = self._make_product("T-RAISE", on_hand=40)
        product.action_api_sync()
        product.sudo().api_external_id = "T-LOWER"
        self.assertEqual(product.api_sync_state, "never")
        self.assertFalse(product.api_last_sync_date)
        self.assertFalse(product.api_sync_message)
