from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..synccli import check_external_id


class StockSyncLocation(models.Model):
    """Where the stock API's location ``code`` is in Odoo.

    A company with mappings has each product's stock set location by location:
    each mapped location gets the sum of its codes' quantities. A company
    without any syncs each product's total into its sync location.
    """

    _name = "stock.sync.location"
    _description = "Stock API Location"
    _order = "company_id, code"
    _rec_name = "code"
    _check_company_auto = True

    code = fields.Char(
        string="API Location Code",
        required=True,
        help="The location's code as the stock API gives it (for example PARIS), exactly: upper and lower case differ.",
    )
    location_id = fields.Many2one(
        "stock.location",
        string="Odoo Location",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('usage', '=', 'internal'), ('company_id', '!=', False)]",
        help="Set to the quantity the stock API gives for this code: on hand is compared at this location "
        "and below, and the difference applied at the location itself. Several codes may share a location: "
        "their quantities add up.",
    )
    company_id = fields.Many2one(
        related="location_id.company_id", string="Company", store=True, index=True, precompute=True
    )
    active = fields.Boolean(default=True)

    _code_unique = models.Constraint(
        "UNIQUE(code)",
        "This stock API location code is already mapped: each code maps to one Odoo location.",
    )

    @api.constrains("code")
    def _check_code(self):
        for mapping in self:
            reason = check_external_id(mapping.code)
            if reason:
                raise ValidationError(
                    _(
                        "The stock API location code “%(code)s” cannot be used: %(reason)s.",
                        code=mapping.code,
                        reason=reason.replace("the external ID", "the code"),
                    )
                )

    @api.constrains("location_id", "active")
    def _check_location_id(self):
        for mapping in self:
            location = mapping.location_id
            if location.usage != "internal" or not location.company_id:
                raise ValidationError(
                    _(
                        "The stock API location %(code)s must map to an internal location of a company; "
                        "%(location)s is not.",
                        code=mapping.code,
                        location=location.display_name,
                    )
                )
        # A location inside another mapped one would be counted twice: on
        # hand is compared at a mapped location and below.
        companies = self.filtered("active").company_id
        if not companies:
            return
        mapped = self.sudo().search([("company_id", "in", companies.ids)]).location_id
        for outer in mapped:
            for inner in mapped:
                if inner != outer and inner.parent_path.startswith(outer.parent_path):
                    raise ValidationError(
                        _(
                            "%(inner)s is inside %(outer)s, which is mapped to the stock API too: its stock would "
                            "count in both. Map locations that do not contain each other.",
                            inner=inner.display_name,
                            outer=outer.display_name,
                        )
                    )

    @api.model
    def _get_api_sync_mapping(self, company):
        """``{code: location}`` of ``company``'s active mappings; empty when it maps none."""
        mappings = self.sudo().search_fetch([("company_id", "=", company.id)], ["code", "location_id"])
        return {mapping.code: mapping.location_id.with_env(self.env) for mapping in mappings}
