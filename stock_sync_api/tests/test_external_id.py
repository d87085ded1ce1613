import json
from pathlib import Path

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import StockSyncApiCase

#: The table of external ID cases that sync-cli's tests run too.
VECTORS = Path(__file__).resolve().parents[1] / "synccli" / "tests" / "external_id_vectors.json"


@tagged("post_install", "-at_install")
class TestExternalId(StockSyncApiCase):
    def test_external_id_is_unique(self):
        self._make_product("T-DUP")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self._make_product("T-DUP")

    def test_external_id_not_copied(self):
        product = self._make_product("T-COPY")
        self.assertFalse(product.sudo().copy().api_external_id)

    def test_control_characters_refused(self):
        with self.assertRaisesRegex(ValidationError, "control character"):
            self._make_product("T-\nX")

    def test_surrounding_spaces_refused(self):
        with self.assertRaisesRegex(ValidationError, "starts or ends with spaces"):
            self._make_product(" T-X")

    def test_spaces_unicode_and_slashes_allowed(self):
        product = self._make_product("GS 10/é?#")
        self.assertEqual(product.api_external_id, "GS 10/é?#")

    def test_length_limit(self):
        self.assertEqual(len(self._make_product("L" * 255).api_external_id), 255)
        with self.assertRaisesRegex(ValidationError, "longer than 255 characters"):
            self._make_product("M" * 256)

    def test_the_shared_table_of_cases(self):
        """Every case of the table sync-cli's tests run: the product's
        external ID is refused exactly when sync-cli would refuse it."""
        # The table has IDs of the demo products (GS-1001): free them.
        self._clear_external_ids()
        cases = json.loads(VECTORS.read_text())["cases"]
        checked = 0
        for case in cases:
            external_id = case["id"] * case.get("repeat", 1)
            # An empty ID is no ID at all; PostgreSQL text cannot hold NUL.
            if not external_id or "\0" in external_id:
                continue
            checked += 1
            with self.subTest(case["note"], external_id=external_id), self.env.cr.savepoint():
                if case["refused"]:
                    with self.assertRaises(ValidationError):
                        self._make_product(external_id)
                else:
                    self.assertEqual(self._make_product(external_id).api_external_id, external_id)
        self.assertGreater(checked, 60)

    def test_blank_and_whitespace_ids_refused(self):
        for external_id in ("   ", "\t", "\u00a0", "\u3000GS", "GS\u2003"):
            with self.subTest(external_id=external_id), self.assertRaises(ValidationError):
                self._make_product(external_id)

    def test_dot_segments_refused(self):
        for external_id in (".", ".."):
            with self.subTest(external_id=external_id), self.assertRaisesRegex(ValidationError, "URL path segment"):
                self._make_product(external_id)
