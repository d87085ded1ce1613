"""The scheduled action's entry point moved from product.template to the run
model. Its record is ``noupdate``: point it at the new method, keeping its
interval, next call and activity as the database has them."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("stock_sync_api.ir_cron_api_sync", raise_if_not_found=False)
    if cron and "_cron_api_sync" in (cron.code or ""):
        cron.write({"model_id": env["ir.model"]._get_id("stock.sync.run"), "code": "model._cron_sync()"})
