from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import StockSyncApiCase


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
