from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import sync_now
from ..synccli import check_external_id

#: The columns where each synchronisation records a variant's status (and,
#: summarised, its template's).
STATUS_FIELDS = [
    "api_sync_state",
    "api_sync_message",
    "api_last_sync_date",
    "api_last_attempt_date",
    "api_last_run_id",
]

SYNC_STATES = [("never", "Never synced"), ("ok", "Synced"), ("error", "Error")]


def summarise_status(env, variants):
    """A template's status from its variants' (``[{field: value}]``, the
    active ones; all of an archived template): a single variant's own; of
    several, a summary of those with an external ID.

    :return: ``{field: value}``, the last run as an ID
    """
    synced = [row for row in variants if row["api_external_id"]] if len(variants) > 1 else variants
    if len(synced) == 1:
        return {name: synced[0][name] or False for name in STATUS_FIELDS} | {
            "api_sync_state": synced[0]["api_sync_state"] or "never"
        }
    states = {row["api_sync_state"] for row in synced}
    errors = sum(row["api_sync_state"] == "error" for row in synced)
    last_syncs = [row["api_last_sync_date"] for row in synced]
    attempts = sorted((row for row in synced if row["api_last_attempt_date"]), key=lambda r: r["api_last_attempt_date"])
    return {
        "api_sync_state": "error" if errors else ("never" if "never" in states or not synced else "ok"),
        "api_sync_message": env._(
            "%(errors)s of %(count)s variants in error: see the variants below.", errors=errors, count=len(synced)
        )
        if errors
        else False,
        "api_last_sync_date": min(last_syncs) if synced and all(last_syncs) else False,
        "api_last_attempt_date": attempts[-1]["api_last_attempt_date"] if attempts else False,
        "api_last_run_id": attempts[-1]["api_last_run_id"] if attempts else False,
    }


def counted(variant):
    """Whether the variant aliased ``variant`` counts in the status of the
    template aliased ``template``: the active variants, all of an archived
    template's (as :func:`summarise_status` is given them)."""
    return SQL("(%s.active OR NOT template.active)", SQL.identifier(variant))


class ProductProduct(models.Model):
    """The unit of the synchronisation: each variant has its own external ID
    and status (a T-shirt's sizes are three products of the stock API)."""

    _inherit = "product.product"

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
        selection=SYNC_STATES,
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
    api_sync_excluded = fields.Boolean(
        string="Variant Excluded from Synchronisation",
        copy=False,
        tracking=True,
        help="This variant alone is left out of every synchronisation with the stock API: its stock is kept "
        "as it is. The product's own box leaves out all its variants.",
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
        # The status is required: a variant that code unaware of this addon
        # inserts gets it from the database itself.
        self.env.cr.execute("ALTER TABLE product_product ALTER COLUMN api_sync_state SET DEFAULT 'never'")

    @api.constrains("api_external_id")
    def _check_api_external_id(self):
        for product in self.filtered("api_external_id"):
            reason = check_external_id(product.api_external_id)
            if reason:
                raise ValidationError(
                    _(
                        "The external ID of “%(product)s” cannot be used: %(reason)s.",
                        product=product.display_name,
                        reason=reason,
                    )
                )

    def write(self, vals):
        if "api_external_id" in vals:
            changed = self.filtered(lambda p: p.api_external_id != (vals["api_external_id"] or False))
            if changed:
                # What was synchronised under the old ID says nothing of the new one.
                super(ProductProduct, changed).write(dict.fromkeys(STATUS_FIELDS, False) | {"api_sync_state": "never"})
        result = super().write(vals)
        if vals.get("active") is False or vals.get("api_sync_excluded"):
            # Left out of every synchronisation from now on: say so.
            self.with_context(active_test=False).filtered("api_external_id")._api_sync_mark_left_out()
        return result

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    def action_api_sync(self):
        """Button and list action: sync these variants now, as one run, then say what happened."""
        if not self.env.user.has_group("stock.group_stock_manager"):
            raise AccessError(_("Only inventory administrators can run the stock API synchronisation."))
        products = self._get_api_sync_products()
        run, outcomes = sync_now(products, "manual", left_out=self - products)
        return products._get_api_sync_notification(run, outcomes)

    def action_api_sync_preview(self):
        """List action: what a sync of these variants would change, without moving stock."""
        if not self.env.user.has_group("stock.group_stock_user"):
            raise AccessError(_("Only inventory users can preview the stock API synchronisation."))
        products = self._get_api_sync_products()
        run, _outcomes = sync_now(products, "preview", left_out=self - products)
        return run.action_open()

    def _get_api_sync_notification(self, run, outcomes):
        """What a click on "Run synchronisation" shows once ``run`` has synced
        these variants: the one product's outcome, or how many of them were
        synchronised."""
        errors = [pid for pid, outcome in outcomes.items() if outcome.state in ("error", "busy")]
        if run.state == "held":
            title = _("Stock API synchronisation held")
            message = run.hold_reason
        elif len(self) == 1:
            outcome = outcomes[self.id]
            title = self.display_name
            message = outcome.message
        else:
            title = _("Stock API synchronisation")
            message = _(
                "%(done)s of %(total)s products synchronised, %(errors)s with errors.",
                done=len(self) - len(errors),
                total=len(self),
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

    # ------------------------------------------------------------------
    # Which products a synchronisation takes
    # ------------------------------------------------------------------

    def _get_api_sync_products(self):
        """Those of these variants that the user may sync: with an external
        ID, of a company the user may access (or shared by all companies).

        :raises UserError: none of them
        """
        companies = self.env.user.company_ids
        allowed = (
            self.sudo()
            .with_context(active_test=False)
            .filtered(lambda p: p.api_external_id and (not p.company_id or p.company_id in companies))
        )
        if not allowed:
            raise UserError(_("None of these products has an external ID: there is nothing to synchronise."))
        left_out = allowed._get_api_sync_left_out()
        if left_out == allowed:
            raise UserError(left_out[:1]._get_api_sync_left_out_reason())
        left_out._api_sync_mark_left_out()
        return self.browse((allowed - left_out).ids)

    @api.model
    def _get_api_sync_domain(self):
        """The variants a synchronisation takes: active, with an external ID,
        excluded neither on themselves nor on their product, of an active
        company or shared by all companies."""
        return Domain.AND(
            [
                Domain("api_external_id", "!=", False),
                Domain("api_sync_excluded", "=", False),
                Domain("product_tmpl_id.api_sync_excluded", "=", False),
                Domain("company_id", "=", False) | Domain("company_id.active", "=", True),
            ]
        )

    @api.model
    def _get_api_sync_left_out_domain(self):
        """Variants with an external ID that no synchronisation takes:
        archived, excluded (themselves or their product), or of an archived company."""
        return Domain("api_external_id", "!=", False) & (
            Domain("active", "=", False)
            | Domain("api_sync_excluded", "=", True)
            | Domain("product_tmpl_id.api_sync_excluded", "=", True)
            | Domain("company_id.active", "=", False)
        )

    def _get_api_sync_left_out(self):
        """Those of these variants that no synchronisation takes (see
        :meth:`_get_api_sync_left_out_domain`)."""
        return self.with_context(active_test=False).filtered(
            lambda p: p.api_external_id
            and (
                not p.active
                or p.api_sync_excluded
                or p.product_tmpl_id.api_sync_excluded
                or (p.company_id and not p.company_id.active)
            )
        )

    def _get_api_sync_left_out_reason(self):
        self.ensure_one()
        if not self.active:
            return _(
                "Archived: left out of the stock API synchronisation until the product is restored "
                "(its stock is kept as it is)."
            )
        if self.api_sync_excluded or self.product_tmpl_id.api_sync_excluded:
            return _(
                "Excluded from the stock API synchronisation on its page: its stock is kept as it is "
                "until the box is unticked."
            )
        return _(
            "The company %(company)s is archived: its products are left out of the stock API synchronisation.",
            company=self.company_id.name,
        )

    def _api_sync_mark_left_out(self):
        """Say on each of these left-out variants why no synchronisation takes
        it (one write per reason, only where it is not said yet)."""
        groups = defaultdict(list)
        for product in self:
            reason = product._get_api_sync_left_out_reason()
            if product.api_sync_message != reason:
                groups[reason].append(product.id)
        for reason, ids in groups.items():
            products = self.browse(ids).sudo().with_context(tracking_disable=True, active_test=False)
            products.write({"api_sync_message": reason})

    def _api_sync_lock(self):
        """Lock these variants, and their templates, for a synchronisation
        (skipping those another transaction holds).

        A template's row is locked too: its status summarises its variants',
        and two synchronisations writing it at once would make one fail.

        :return: the variants locked, with their template
        """
        locked = self.try_lock_for_update(allow_referencing=True)
        templates = set(locked.product_tmpl_id.try_lock_for_update(allow_referencing=True).ids)
        return locked.filtered(lambda product: product.product_tmpl_id.id in templates)

    # ------------------------------------------------------------------
    # Recording the synchronisation's outcome
    # ------------------------------------------------------------------

    def _api_sync_write_status(self, outcomes, run):
        """Record each variant's outcome of ``run``, then its template's
        summary, in one statement (a template with several variants: one more).

        These columns are the sync's own status, not a change of the product:
        they are written in SQL so that the product's write date stays as it
        is. Written through the ORM, every sync would mark every product as
        modified (and each variant, whose write date Odoo uses as its image's
        cache key), which costs more than the rest of an unchanged product's
        sync. None of these fields is tracked, translated or company-dependent.

        :param outcomes: ``{product_id: SyncOutcome}``; an outcome whose
            state is None leaves the product's status as it was (a change a
            held run did not apply) and says why in its message
        """
        if not outcomes:
            return
        # One row per distinct outcome: products already up to date all share one.
        groups = defaultdict(list)
        for product_id, outcome in outcomes.items():
            groups[outcome.state, outcome.message].append(product_id)
        products = self.browse(list(outcomes))
        self.flush_model(["active", "product_tmpl_id", *STATUS_FIELDS])
        templates = products.product_tmpl_id
        templates.flush_recordset(["active", *STATUS_FIELDS])
        # A template with one variant takes that variant's status as it is, in
        # the same statement: most have one, and a round writes every one of them.
        self.env.cr.execute(
            SQL(
                """
                WITH variant AS (
                    UPDATE product_product AS product
                       SET api_sync_state = COALESCE(outcome.state, product.api_sync_state),
                           api_sync_message = outcome.message,
                           api_last_attempt_date = %(now)s,
                           api_last_sync_date = CASE WHEN outcome.state = 'ok' THEN %(now)s
                                                     ELSE product.api_last_sync_date END,
                           api_last_run_id = %(run)s
                      FROM (VALUES %(rows)s) AS outcome(ids, state, message)
                     WHERE product.id = ANY(outcome.ids)
                 RETURNING product.id, product.product_tmpl_id, product.active, product.api_sync_state,
                           product.api_sync_message, product.api_last_sync_date, product.api_last_attempt_date,
                           product.api_last_run_id
                ), single AS (
                    UPDATE product_template AS template
                       SET api_sync_state = variant.api_sync_state, api_sync_message = variant.api_sync_message,
                           api_last_sync_date = variant.api_last_sync_date,
                           api_last_attempt_date = variant.api_last_attempt_date,
                           api_last_run_id = variant.api_last_run_id
                      FROM variant
                     WHERE template.id = ANY(%(templates)s)
                       AND template.id = variant.product_tmpl_id AND %(variant_counted)s
                       AND NOT EXISTS (
                           SELECT FROM product_product AS other
                            WHERE other.product_tmpl_id = template.id AND other.id != variant.id
                              AND %(other_counted)s)
                 RETURNING template.id
                )
                SELECT id FROM single
                """,
                now=fields.Datetime.now(),
                run=run.id,
                templates=templates.ids,
                variant_counted=counted("variant"),
                other_counted=counted("other"),
                rows=SQL(", ").join(
                    SQL("(%s::int[], %s::varchar, %s::text)", ids, state, message)
                    for (state, message), ids in groups.items()
                ),
            )
        )
        single = self.env["product.template"].browse(id_ for (id_,) in self.env.cr.fetchall())
        products.invalidate_recordset(STATUS_FIELDS)
        single.invalidate_recordset(STATUS_FIELDS)
        # The others summarise their variants'.
        (templates - single)._api_sync_summarise_status()
