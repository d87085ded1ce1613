from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .product_product import STATUS_FIELDS, SYNC_STATES, counted, summarise_status


class ProductTemplate(models.Model):
    """A product's synchronisation, as its variants have it.

    The external ID and the status live on the variants (``product.product``).
    On the template they follow Odoo's own ``default_code`` pattern: for a
    template with one variant they are that variant's (the external ID is
    stored, computed from the variant, and its inverse writes the variant);
    a template with several variants summarises theirs.
    """

    _inherit = "product.template"

    api_external_id = fields.Char(
        string="External ID",
        compute="_compute_api_external_id",
        inverse="_set_api_external_id",
        store=True,
        copy=False,
        tracking=True,
        help="Identifier of this product in the external stock API. "
        "Its on-hand quantity is kept equal to what the API answers for it. "
        "A product with several variants has one external ID per variant, set on each variant.",
    )
    api_last_sync_date = fields.Datetime(
        string="Last Sync",
        compute="_compute_api_sync_status",
        store=True,
        readonly=True,
        copy=False,
        help="When the quantity was last read from the stock API successfully "
        "(of a product with several variants: the oldest of its variants' last syncs).",
    )
    api_last_attempt_date = fields.Datetime(
        string="Last Sync Attempt",
        compute="_compute_api_sync_status",
        store=True,
        readonly=True,
        copy=False,
        help="When the last synchronisation attempt ended, successful or not.",
    )
    api_sync_state = fields.Selection(
        selection=SYNC_STATES,
        string="Sync Status",
        compute="_compute_api_sync_status",
        store=True,
        readonly=True,
        copy=False,
        index=True,
        help="How the last synchronisation attempt ended. Of a product with several variants: Error when one "
        "variant is in error, else Never synced when one never synced, else Synced.",
    )
    api_sync_message = fields.Text(
        string="Sync Message",
        compute="_compute_api_sync_status",
        store=True,
        readonly=True,
        copy=False,
        help="The last error, or what the last synchronisation changed.",
    )
    api_last_run_id = fields.Many2one(
        "stock.sync.run",
        string="Last Synchronisation",
        compute="_compute_api_sync_status",
        store=True,
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The synchronisation run that last handled this product.",
    )
    api_uom_id = fields.Many2one(
        "uom.uom",
        string="API Unit",
        help="The unit the stock API counts this product in, when it is not the product's own unit "
        "(e.g. the API counts pieces of a product sold by the dozen). Its quantity is converted with "
        "Odoo's units of measure. Empty: the API counts in the product's unit. Its variants share it.",
    )
    api_sync_excluded = fields.Boolean(
        string="Excluded from Synchronisation",
        copy=False,
        tracking=True,
        help="Left out of every synchronisation with the stock API (scheduled rounds, buttons, previews and "
        "notifications), with all its variants: their stock is kept as it is.",
    )
    api_variant_count = fields.Integer(string="Variants with an External ID", compute="_compute_api_variant_count")

    def init(self):
        # The status is required on the variants; a product that code unaware
        # of this addon inserts gets it from the database itself.
        self.env.cr.execute("ALTER TABLE product_template ALTER COLUMN api_sync_state SET DEFAULT 'never'")

    @api.depends("product_variant_ids.api_external_id")
    def _compute_api_external_id(self):
        self._compute_template_field_from_variant_field("api_external_id")

    def _set_api_external_id(self):
        self._set_product_variant_field("api_external_id")

    def _get_related_fields_variant_template(self):
        # ``create`` hands the external ID to the template's variant.
        return super()._get_related_fields_variant_template() + ["api_external_id"]

    @api.depends(*(f"product_variant_ids.{name}" for name in STATUS_FIELDS), "product_variant_ids.api_external_id")
    def _compute_api_sync_status(self):
        for template in self:
            variants = template.with_context(active_test=template.active).product_variant_ids
            rows = [{name: variant[name] for name in (*STATUS_FIELDS, "api_external_id")} for variant in variants]
            for row, variant in zip(rows, variants, strict=True):
                row["api_last_run_id"] = variant.api_last_run_id.id
            values = summarise_status(self.env, rows)
            values["api_last_run_id"] = self.env["stock.sync.run"].browse(values["api_last_run_id"])
            template.update(values)

    @api.depends("product_variant_ids.api_external_id")
    def _compute_api_variant_count(self):
        for template in self:
            template.api_variant_count = len(template.product_variant_ids.filtered("api_external_id"))

    def _api_sync_summarise_status(self):
        """Write each template's status from its variants', in one query to
        read them and one UPDATE (see ``product.product._api_sync_write_status``:
        never the template's write date)."""
        if not self:
            return
        self.env["product.product"].flush_model([*STATUS_FIELDS, "api_external_id", "active", "product_tmpl_id"])
        self.flush_recordset(["active"])
        self.env.cr.execute(
            SQL(
                """
                SELECT variant.product_tmpl_id, variant.api_external_id, variant.api_sync_state,
                       variant.api_sync_message, variant.api_last_sync_date, variant.api_last_attempt_date,
                       variant.api_last_run_id
                  FROM product_product AS variant
                  JOIN product_template AS template ON template.id = variant.product_tmpl_id
                 WHERE variant.product_tmpl_id = ANY(%s) AND %s
                 ORDER BY variant.id
                """,
                self.ids,
                counted("variant"),
            )
        )
        variants = {template_id: [] for template_id in self.ids}
        columns = ("api_external_id", *STATUS_FIELDS)
        for template_id, *row in self.env.cr.fetchall():
            variants[template_id].append(dict(zip(columns, row, strict=True)))
        values = {template_id: summarise_status(self.env, rows) for template_id, rows in variants.items()}
        self.flush_recordset(STATUS_FIELDS)
        self.env.cr.execute(
            SQL(
                """
                UPDATE product_template AS template
                   SET api_sync_state = status.state, api_sync_message = status.message,
                       api_last_sync_date = status.last_sync, api_last_attempt_date = status.last_attempt,
                       api_last_run_id = status.run_id
                  FROM (VALUES %s) AS status(id, state, message, last_sync, last_attempt, run_id)
                 WHERE template.id = status.id
                """,
                SQL(", ").join(
                    SQL(
                        "(%s, %s::varchar, %s::text, %s::timestamp, %s::timestamp, %s::int)",
                        template_id,
                        vals["api_sync_state"],
                        vals["api_sync_message"] or None,
                        vals["api_last_sync_date"] or None,
                        vals["api_last_attempt_date"] or None,
                        vals["api_last_run_id"] or None,
                    )
                    for template_id, vals in values.items()
                ),
            )
        )
        self.invalidate_recordset(STATUS_FIELDS)

    @api.constrains("api_uom_id", "uom_id")
    def _check_api_uom_id(self):
        for template in self.filtered("api_uom_id"):
            if not template.api_uom_id._has_common_reference(template.uom_id):
                raise ValidationError(
                    _(
                        "The API unit of “%(product)s” cannot be %(api_uom)s: it cannot be converted "
                        "into the product's unit %(uom)s.",
                        product=template.display_name,
                        api_uom=template.api_uom_id.name,
                        uom=template.uom_id.name,
                    )
                )

    def write(self, vals):
        result = super().write(vals)
        if vals.get("api_sync_excluded"):
            # Left out of every synchronisation from now on, with all its variants: say so.
            variants = self.with_context(active_test=False).product_variant_ids.filtered("api_external_id")
            variants._api_sync_mark_left_out()
        return result

    # ------------------------------------------------------------------
    # Entry points: those of the variants
    # ------------------------------------------------------------------

    def action_api_sync(self):
        """Button and list action: sync every variant of these products that has an external ID, as one run."""
        return self._get_api_sync_variants().action_api_sync()

    def action_api_sync_preview(self):
        """List action: what a sync of these products' variants would change, without moving stock."""
        return self._get_api_sync_variants().action_api_sync_preview()

    def action_open_api_sync_variants(self):
        """The variants of this product, with their external IDs and statuses."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("product.product_variant_action")
        action.update(
            domain=[("product_tmpl_id", "=", self.id)],
            context={"default_product_tmpl_id": self.id, "create": False},
        )
        return action

    def _get_api_sync_variants(self):
        """The variants of these products, archived ones included (a
        synchronisation says why it leaves them out)."""
        return self.with_context(active_test=False).product_variant_ids.with_context(active_test=True)
