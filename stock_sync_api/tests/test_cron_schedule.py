from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools.convert import convert_file

CRON_XMLID = "stock_sync_api.ir_cron_api_sync"
CRON_FILE = "data/ir_cron_data.xml"
HOUR = timedelta(hours=1)


@tagged("post_install", "-at_install")
class TestCronSchedule(TransactionCase):
    """The scheduled action is never due before an hour after the addon's install.

    A new database (Docker's first start, ``odoo -i stock_sync_api``) leaves the
    first synchronisation to the person trying it, and an upgrade of the addon
    keeps the schedule it finds.
    """

    def _load_cron_file(self, mode):
        """Load the data file as installing (init) or upgrading (update) the addon does."""
        convert_file(self.env, "stock_sync_api", CRON_FILE, {}, mode=mode, noupdate=False)
        self.env.invalidate_all()
        return self.env.ref(CRON_XMLID)

    def test_installed_cron_is_due_an_hour_after_its_creation(self):
        cron = self.env.ref(CRON_XMLID)
        # create_date is the install's transaction time, a little before the
        # data file was read; later runs only move nextcall further.
        self.assertGreaterEqual(cron.nextcall, cron.create_date + HOUR - timedelta(seconds=1))

    def test_install_schedules_the_first_call_an_hour_later(self):
        self.env.ref(CRON_XMLID).unlink()
        self.assertFalse(self.env.ref(CRON_XMLID, raise_if_not_found=False))
        before = fields.Datetime.now()
        cron = self._load_cron_file("init")
        after = fields.Datetime.now()
        self.assertTrue(cron.active)
        self.assertGreaterEqual(cron.nextcall, before + HOUR)
        self.assertLessEqual(cron.nextcall, after + HOUR)

    def test_upgrade_keeps_the_schedule(self):
        cron = self.env.ref(CRON_XMLID)
        when = fields.Datetime.now() + timedelta(minutes=5)
        cron.nextcall = when
        cron = self._load_cron_file("update")
        self.assertEqual(cron.nextcall, when)
