from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    stock_sync_location_id = fields.Many2one(
        "stock.location",
        string="Stock API Location",
        domain="[('usage', '=', 'internal'), ('company_id', '=', id)]",
        check_company=True,
        help="Where the stock API's quantity of this company's products is counted: on hand is compared "
        "at this location and below, and the difference applied at the location itself. "
        "When empty, the stock location of the company's first warehouse.",
    )

    @api.constrains("stock_sync_location_id")
    def _check_stock_sync_location_id(self):
        for company in self:
            location = company.stock_sync_location_id
            if location and (location.usage != "internal" or location.company_id != company):
                raise ValidationError(
                    _(
                        "The stock API location of %(company)s must be an internal location of that company; "
                        "%(location)s is not.",
                        company=company.name,
                        location=location.display_name,
                    )
                )

    def _get_stock_sync_location(self):
        """The location whose on-hand the stock API's quantity describes for this company.

        :raises UserError: the company has neither a location set nor a warehouse
        """
        self.ensure_one()
        if self.stock_sync_location_id:
            return self.stock_sync_location_id
        warehouse = self.env.user.with_company(self)._get_default_warehouse_id()
        if not warehouse:
            raise UserError(
                _(
                    "The company %(company)s has no warehouse to synchronise stock into: create one in "
                    "Inventory > Configuration > Warehouses, or choose a stock API location in the settings.",
                    company=self.name,
                )
            )
        return warehouse.lot_stock_id
