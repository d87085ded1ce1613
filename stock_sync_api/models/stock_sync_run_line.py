from odoo import api, fields, models


class StockSyncRunLine(models.Model):
    _name = "stock.sync.run.line"
    _description = "Stock API Synchronisation Line"
    _order = "run_id desc, id"
    _check_company_auto = True

    run_id = fields.Many2one("stock.sync.run", string="Synchronisation", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one(
        "product.product", string="Product", required=True, ondelete="cascade", index=True
    )
    product_tmpl_id = fields.Many2one(
        related="product_id.product_tmpl_id", string="Product Template", store=True, index=True, precompute=True
    )
    external_id = fields.Char(string="External ID", required=True)
    company_id = fields.Many2one("res.company", string="Company", required=True, index=True)
    location_id = fields.Many2one("stock.location", string="Location", ondelete="set null")
    uom_id = fields.Many2one(related="product_tmpl_id.uom_id", string="Unit")
    on_hand = fields.Float(string="On Hand Before", digits="Product Unit")
    api_quantity = fields.Float(string="API Quantity", digits="Product Unit")
    # Precomputed: set in the INSERT of a batch's lines, not by an UPDATE after it.
    difference = fields.Float(
        string="Difference", digits="Product Unit", compute="_compute_difference", store=True, precompute=True
    )
    state = fields.Selection(
        selection=[("planned", "Planned"), ("applied", "Applied"), ("error", "Error")],
        string="Status",
        required=True,
        index=True,
    )
    message = fields.Text(string="Message")
    details = fields.Text(
        string="Details",
        help="What sync-cli said of the error, in English, with the URL it asked: for the integrator.",
    )
    move_id = fields.Many2one("stock.move", string="Inventory Move", ondelete="set null")

    @api.depends("on_hand", "api_quantity", "state")
    def _compute_difference(self):
        for line in self:
            line.difference = line.api_quantity - line.on_hand if line.state != "error" else 0.0
