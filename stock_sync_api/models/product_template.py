from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..engine import SyncRound
from ..synccli import check_external_id

#: The columns where each synchronisation records a product's status.
STATUS_FIELDS = [
    "api_sync_state",
    "api_sync_message",
    "api_last_sync_date",
    "api_last_attempt_date",
    "api_last_run_id",
]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    api_external_id = fields.Char(
        string="External ID",
        copy=False,
        tracking=True,
        help="Identifier of this product in the external stock API. "
        "Its on-hand quantity is kept equal to what the API answers for it.",
    )
    api_last_sync_date = fields.Datetime(
        string="Last Sync",
        readonly=True,
        copy=False,
        help="When the quantity was last read from the stock API successfully.",
    )
    api_last_attempt_date = fields.Datetime(
        string="Last Sync Attempt",
        readonly=True,
        copy=False,
        help="When the last synchronisation attempt ended, successful or not.",
    )
    api_sync_state = fields.Selection(
        selection=[("never", "Never synced"), ("ok", "Synced"), ("error", "Error")],
        string="Sync Status",
        default="never",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        help="How the last synchronisation attempt ended.",
    )
    api_sync_message = fields.Text(
        string="Sync Message",
        readonly=True,
        copy=False,
        help="The last error, or what the last synchronisation changed.",
    )
    api_uom_id = fields.Many2one(
        "uom.uom",
        string="API Unit",
        help="The unit the stock API counts this product in, when it is not the product's own unit "
        "(e.g. the API counts pieces of a product sold by the dozen). Its quantity is converted with "
        "Odoo's units of measure. Empty: the API counts in the product's unit.",
    )
    api_sync_excluded = fields.Boolean(
        string="Excluded from Synchronisation",
        copy=False,
        tracking=True,
        help="Left out of every synchronisation with the stock API (scheduled rounds, buttons, previews and "
        "notifications): its stock is kept as it is.",
    )
    api_last_run_id = fields.Many2one(
        "stock.sync.run",
        string="Last Synchronisation",
        readonly=True,
        copy=False,
        # Not indexed: every run rewrites it, and an indexed column changing
        # value makes PostgreSQL rewrite every index of the product's row.
        ondelete="set null",
        help="The synchronisation run that last handled this product.",
    )

    _api_external_id_unique = models.Constraint(
        "UNIQUE(api_external_id)",
        "This external ID is already used by another product: each product needs its own.",
    )

    def init(self):
        # The status is required: a product that code unaware of this addon
        # inserts (core's at_install tests, run while this addon's models are
        # not loaded) gets it from the database itself.
        self.env.cr.execute("ALTER TABLE product_template ALTER COLUMN api_sync_state SET DEFAULT 'never'")

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

    @api.constrains("api_external_id")
    def _check_api_external_id(self):
        for template in self.filtered("api_external_id"):
            reason = check_external_id(template.api_external_id)
            if reason:
                raise ValidationError(
                    _(
                        "The external ID of “%(product)s” cannot be used: %(reason)s.",
                        product=template.display_name,
                        reason=reason,
                    )
                )

    def write(self, vals):
        if "api_external_id" in vals:
            changed = self.filtered(lambda t: t.api_external_id != (vals["api_external_id"] or False))
            if changed:
                # What was synchronised under the old ID says nothing of the new one.
                super(ProductTemplate, changed).write(
                    {
                        "api_sync_state": "never",
                        "api_sync_message": False,
                        "api_last_sync_date": False,
                        "api_last_attempt_date": False,
                        "api_last_run_id": False,
                    }
                )
        result = super().write(vals)
        if vals.get("active") is False or vals.get("api_sync_excluded"):
            # Left out of every synchronisation from now on: say so.
            self.filtered("api_external_id")._api_sync_mark_left_out()
        return result

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    def action_api_sync(self):
        """Button and list action: sync these products now, then say what happened."""
        if not self.env.user.has_group("stock.group_stock_manager"):
            raise AccessError(_("Only inventory administrators can run the stock API synchronisation."))
        templates = self._get_api_sync_templates()
        run = self.env["stock.sync.run"]._start("manual", templates, left_out=self - templates)
        outcomes = SyncRound(run).sync(templates)
        return self._get_api_sync_notification(templates, outcomes, run)

    def action_api_sync_preview(self):
        """List action: what a sync of these products would change, without moving stock."""
        if not self.env.user.has_group("stock.group_stock_user"):
            raise AccessError(_("Only inventory users can preview the stock API synchronisation."))
        templates = self._get_api_sync_templates()
        run = self.env["stock.sync.run"]._start("preview", templates, left_out=self - templates)
        SyncRound(run).sync(templates)
        return run.action_open()

    # ------------------------------------------------------------------
    # Helpers of the synchronisation
    # ------------------------------------------------------------------

    def _get_api_sync_templates(self):
        """Those of these products that the user may sync: with an external ID,
        of a company the user may access (or shared by all companies).

        :raises UserError: none of them
        """
        companies = self.env.user.company_ids
        allowed = self.sudo().filtered(lambda t: t.api_external_id and (not t.company_id or t.company_id in companies))
        if not allowed:
            raise UserError(_("None of these products has an external ID: there is nothing to synchronise."))
        left_out = allowed._get_api_sync_left_out()
        if left_out == allowed:
            raise UserError(left_out[:1]._get_api_sync_left_out_reason())
        left_out._api_sync_mark_left_out()
        return self.browse((allowed - left_out).ids)

    @api.model
    def _get_api_sync_domain(self):
        """The products a scheduled synchronisation takes: active, with an
        external ID, not excluded, of an active company or shared by all companies."""
        return [
            ("api_external_id", "!=", False),
            ("api_sync_excluded", "=", False),
            "|",
            ("company_id", "=", False),
            ("company_id.active", "=", True),
        ]

    @api.model
    def _get_api_sync_left_out_domain(self):
        """Products with an external ID that no synchronisation takes: archived,
        excluded, or of an archived company."""
        return [
            ("api_external_id", "!=", False),
            "|",
            "|",
            ("active", "=", False),
            ("api_sync_excluded", "=", True),
            ("company_id.active", "=", False),
        ]

    def _get_api_sync_left_out(self):
        """Those of these products that no synchronisation takes (see
        :meth:`_get_api_sync_left_out_domain`)."""
        return self.with_context(active_test=False).filtered(
            lambda t: t.api_external_id
            and (not t.active or t.api_sync_excluded or (t.company_id and not t.company_id.active))
        )

    def _get_api_sync_left_out_reason(self):
        self.ensure_one()
        if not self.active:
            return _(
                "Archived: left out of the stock API synchronisation until the product is restored "
                "(its stock is kept as it is)."
            )
        if self.api_sync_excluded:
            return _(
                "Excluded from the stock API synchronisation on its page: its stock is kept as it is "
                "until the box is unticked."
            )
        return _(
            "The company %(company)s is archived: its products are left out of the stock API synchronisation.",
            company=self.company_id.name,
        )

    def _api_sync_mark_left_out(self):
        """Say on each of these left-out products why no synchronisation takes it
        (one write per reason, only where it is not said yet)."""
        groups = defaultdict(list)
        for template in self:
            reason = template._get_api_sync_left_out_reason()
            if template.api_sync_message != reason:
                groups[reason].append(template.id)
        for reason, ids in groups.items():
            self.browse(ids).sudo().with_context(tracking_disable=True).write({"api_sync_message": reason})

    def _api_sync_write_status(self, outcomes, run):
        """Record each product's outcome of ``run``, in one UPDATE.

        These columns are the sync's own status, not a change of the product:
        they are written in SQL so that the product's write date stays as it
        is. Written through the ORM, every sync would mark every product as
        modified (and each variant, whose write date Odoo recomputes from its
        template's and uses as its image's cache key), which costs more than
        the rest of an unchanged product's sync. None of these fields is
        tracked, translated or company-dependent.

        :param outcomes: ``{template_id: SyncOutcome}``; an outcome whose
            state is None leaves the product's status as it was (a change a
            held run did not apply) and says why in its message
        """
        if not outcomes:
            return
        # One row per distinct outcome: products already up to date all share one.
        groups = defaultdict(list)
        for template_id, outcome in outcomes.items():
            groups[outcome.state, outcome.message].append(template_id)
        templates = self.browse(list(outcomes))
        templates.flush_recordset(STATUS_FIELDS)
        self.env.cr.execute(
            SQL(
                """
                UPDATE product_template AS template
                   SET api_sync_state = COALESCE(outcome.state, template.api_sync_state),
                       api_sync_message = outcome.message,
                       api_last_attempt_date = %(now)s,
                       api_last_sync_date = CASE WHEN outcome.state = 'ok' THEN %(now)s
                                                 ELSE template.api_last_sync_date END,
                       api_last_run_id = %(run)s
                  FROM (VALUES %(rows)s) AS outcome(ids, state, message)
                 WHERE template.id = ANY(outcome.ids)
                """,
                now=fields.Datetime.now(),
                run=run.id,
                rows=SQL(", ").join(
                    SQL("(%s::int[], %s::varchar, %s::text)", ids, state, message)
                    for (state, message), ids in groups.items()
                ),
            )
        )
        templates.invalidate_recordset(STATUS_FIELDS)
        templates.modified(STATUS_FIELDS)

    def _get_api_sync_notification(self, templates, outcomes, run):
        errors = [tid for tid, outcome in outcomes.items() if outcome.state in ("error", "busy")]
        if run.state == "held":
            title = _("Stock API synchronisation held")
            message = run.hold_reason
        elif len(templates) == 1:
            outcome = outcomes[templates.id]
            title = templates.display_name
            message = outcome.message
        else:
            title = _("Stock API synchronisation")
            message = _(
                "%(done)s of %(total)s products synchronised, %(errors)s with errors.",
                done=len(templates) - len(errors),
                total=len(templates),
                errors=len(errors),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": "danger" if errors or run.state == "held" else "success",
                "sticky": bool(errors) or run.state == "held",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
