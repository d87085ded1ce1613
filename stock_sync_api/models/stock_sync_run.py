import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import as_variants, changes_round, notified_round, read_setting, run_products, scheduled_round, sync_again
from ..engine.alerts import ALERTS, SAME_ISSUE_NOTES

_logger = logging.getLogger(__name__)

#: What makes a scheduled run worth an alert, in the order they are judged.
ISSUES = [("failed", "Failed"), ("held", "Held"), ("errors", "With errors")]

#: A notified run with the same issue as one that ended less than this
#: before it is not alerted again.
NOTIFIED_ALERT_EVERY = timedelta(hours=1)


class StockSyncRun(models.Model):
    _name = "stock.sync.run"
    _inherit = ["mail.thread"]
    _description = "Stock API Synchronisation"
    _order = "date_start desc, id desc"

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    trigger = fields.Selection(
        selection=[
            ("cron", "Scheduled"),
            ("changes", "Changes"),
            ("notified", "Notified"),
            ("manual", "Manual"),
            ("preview", "Preview"),
        ],
        string="Trigger",
        required=True,
        readonly=True,
        index=True,
    )
    user_id = fields.Many2one("res.users", string="User", readonly=True, default=lambda self: self.env.user)
    state = fields.Selection(
        selection=[
            ("running", "Running"),
            ("planned", "Planned"),
            ("held", "Held"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("discarded", "Discarded"),
        ],
        string="Status",
        required=True,
        readonly=True,
        default="running",
        index=True,
        tracking=True,
    )
    issue = fields.Selection(
        selection=ISSUES,
        string="Issue",
        readonly=True,
        index=True,
        help="What went wrong, once the run has ended: the inventory administrators are alerted when a "
        "scheduled run ends with an issue that the previous scheduled run did not have.",
    )
    date_start = fields.Datetime(string="Started", required=True, readonly=True, default=fields.Datetime.now)
    date_end = fields.Datetime(string="Ended", readonly=True)
    duration = fields.Float(
        string="Duration (seconds)", compute="_compute_duration", help="How long the run took, in seconds."
    )
    product_count = fields.Integer(string="Products", readonly=True, help="Products the run covers.")
    done_count = fields.Integer(string="Processed", readonly=True, help="Products processed so far.")
    changed_count = fields.Integer(
        string="Changed", readonly=True, help="Products whose stock the run changed, or would change."
    )
    up_to_date_count = fields.Integer(string="Up to Date", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    skipped_count = fields.Integer(
        string="Left Out",
        readonly=True,
        help="Products with an external ID that the run left out: archived, excluded from the synchronisation, "
        "or of an archived company.",
    )
    zero_count = fields.Integer(
        string="Dropping to Zero",
        readonly=True,
        help="Products with stock that the stock API says have none: the run changed them to zero, or would.",
    )
    progress = fields.Float(string="Progress", compute="_compute_progress")
    hold_reason = fields.Text(string="Why Held", readonly=True)
    failure_message = fields.Text(string="Why Failed", readonly=True)
    brake_lifted = fields.Boolean(
        string="Applied by a Person",
        readonly=True,
        help="The run was applied with the brake lifted, by an inventory administrator.",
    )
    product_ids = fields.Many2many(
        "product.product",
        string="Selected Variants",
        readonly=True,
        help="The products (variants) a manual run, a preview, a round of changes or a notified run covers. "
        "A scheduled run covers every product with an external ID.",
    )
    product_tmpl_ids = fields.Many2many(
        "product.template",
        string="Selected Products",
        compute="_compute_product_tmpl_ids",
        search="_search_product_tmpl_ids",
        help="The products whose variants the run covers (see Selected Variants).",
    )
    listing_time = fields.Char(
        string="Listing Time",
        readonly=True,
        help="In listing mode, when the stock API's listing that the run applied began, on the API's own clock "
        "(RFC 3339): the next round of changes asks for what changed since then, less a minute.",
    )
    unmapped_location_counts = fields.Json(
        string="Unmapped API Locations",
        readonly=True,
        copy=False,
        help="The stock API's location codes that no mapping of the products' company knows, each with how "
        "many products had stock there: named on the run once it ends.",
    )
    line_ids = fields.One2many("stock.sync.run.line", "run_id", string="Lines", readonly=True)
    move_count = fields.Integer(string="Inventory Moves", compute="_compute_move_count")
    line_product_count = fields.Integer(string="Products Listed", compute="_compute_move_count")

    @api.depends("date_start", "date_end")
    def _compute_duration(self):
        now = fields.Datetime.now()
        for run in self:
            end = run.date_end or (now if run.state == "running" else run.date_start)
            run.duration = (end - run.date_start).total_seconds() if run.date_start else 0.0

    @api.depends("done_count", "product_count")
    def _compute_progress(self):
        for run in self:
            run.progress = 100.0 * run.done_count / run.product_count if run.product_count else 0.0

    @api.depends("product_ids")
    def _compute_product_tmpl_ids(self):
        for run in self:
            run.product_tmpl_ids = run.product_ids.product_tmpl_id

    def _search_product_tmpl_ids(self, operator, value):
        return [("product_ids.product_tmpl_id", operator, value)]

    @api.depends("line_ids.move_id", "line_ids.product_id")
    def _compute_move_count(self):
        groups = self.env["stock.sync.run.line"]._read_group(
            [("run_id", "in", self.ids)],
            ["run_id"],
            ["move_id:count", "product_id:count_distinct"],
        )
        counts = {run: (moves, products) for run, moves, products in groups}
        for run in self:
            run.move_count, run.line_product_count = counts.get(run, (0, 0))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].sudo().next_by_code("stock.sync.run") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Starting and ending runs
    # ------------------------------------------------------------------

    @api.model
    def _start(self, trigger, products=None, left_out=None):
        """A new run, recorded as the sync's own bookkeeping (whoever starts it).

        :param products: the variants (or templates: their variants with an
            external ID) of a manual run, a preview or a notified run
        :param left_out: variants chosen for it that no synchronisation takes, counted
        """
        vals = {"trigger": trigger, "user_id": self.env.user.id}
        if left_out:
            # Of the products chosen, those left out with a reason (archived, excluded, ...).
            vals["skipped_count"] = len(left_out._get_api_sync_left_out())
        if products is not None:
            products = as_variants(products)
            vals.update(product_ids=[fields.Command.set(products.ids)], product_count=len(products))
        return self.sudo().create(vals).with_env(self.env)

    @api.model
    def _cron_sync(self):
        """Scheduled action: sync every product with an external ID, in batches,
        as one run however many calls the round takes."""
        scheduled_round(self.env)

    @api.model
    def _cron_sync_changes(self):
        """Scheduled action, every 5 minutes in listing mode: sync the products
        the stock API lists as changed since the last complete listing."""
        changes_round(self.env)

    @api.model
    def _cron_sync_notified(self):
        """Scheduled action: sync the products the stock API notified, as one
        run however many notifications came in."""
        notified_round(self.env)

    def _applies(self):
        """Whether this run may move stock: a preview never does, unless a person applies it."""
        return self.trigger != "preview" or self.brake_lifted

    def _add_unmapped_locations(self, counts):
        """Add a batch's ``{code: products with stock there}`` of the API's
        locations that no mapping knows (said once, when the run ends)."""
        self.ensure_one()
        total = dict(self.unmapped_location_counts or {})
        for code, count in counts.items():
            total[code] = total.get(code, 0) + count
        self.sudo().unmapped_location_counts = total

    def _note_unmapped_locations(self):
        """Name, on the run and in the log, the API's locations that no
        mapping knows: their stock is not in Odoo, and is seen."""
        self.ensure_one()
        counts = self.unmapped_location_counts
        if not counts:
            return
        codes = sorted(counts)
        _logger.warning(
            "Stock API synchronisation %s: locations of the stock API mapped to no Odoo location, not synchronised: %s",
            self.name,
            ", ".join(f"{code} ({counts[code]} products with stock)" for code in codes),
        )
        items = Markup().join(
            Markup("<li>%s</li>")
            % self.env._("%(code)s: %(count)s products with stock there", code=code, count=counts[code])
            for code in codes
        )
        body = Markup("%s<ul>%s</ul>") % (
            _(
                "The stock API gave quantities at locations that no mapping of the products' company knows "
                "(Inventory > Configuration > API Locations): their stock was not synchronised."
            ),
            items,
        )
        self.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    def _hold(self, reason):
        """Hold the run: it applies nothing more, and says why."""
        self.ensure_one()
        _logger.warning("Stock API synchronisation %s held: %s", self.name, reason)
        self.sudo().hold_reason = reason
        self.sudo().message_post(body=_("Held: %(reason)s", reason=reason), subtype_xmlid="mail.mt_note")

    def _finish(self):
        """End the run once every product of it has been handled, and alert if need be."""
        for run in self:
            if run.hold_reason:
                state = "held"
            elif run.trigger == "preview" and not run.brake_lifted:
                state = "planned"
            else:
                state = "done"
            issue = "held" if state == "held" else ("errors" if run.error_count else False)
            run._note_unmapped_locations()
            run.sudo().write({"state": state, "issue": issue, "date_end": fields.Datetime.now()})
            _logger.info(
                "Stock API synchronisation %s %s: %d products, %d changed, %d up to date, %d errors",
                run.name,
                state,
                run.done_count,
                run.changed_count,
                run.up_to_date_count,
                run.error_count,
            )
            if run.trigger == "cron":
                run._supersede_held()
            run._alert()

    def _supersede_held(self):
        """Discard the scheduled runs held before this one: only the newest
        scheduled plan is worth a decision (applying any of them would sync
        every product again anyway)."""
        older = self.sudo().search([("trigger", "=", "cron"), ("state", "=", "held"), ("id", "<", self.id)])
        for run in older:
            run.write({"state": "discarded", "date_end": fields.Datetime.now()})
            run.message_post(
                body=_("Superseded by the scheduled synchronisation %(name)s: nothing was applied.", name=self.name),
                subtype_xmlid="mail.mt_note",
            )

    def _fail(self, message):
        """End the run as failed: it could not run, or stopped on an unexpected error.

        :param message: why, shown on the run and in its alert
        """
        for run in self:
            run.sudo().write(
                {"state": "failed", "issue": "failed", "failure_message": message, "date_end": fields.Datetime.now()}
            )
            run._alert()

    # ------------------------------------------------------------------
    # Alerts
    # ------------------------------------------------------------------

    def _alert(self):
        """Tell the inventory administrators that a scheduled or notified run
        ended with an issue (see :data:`~..engine.alerts.ALERTS`), unless the
        run of the same trigger before it ended with the same one: an API down
        for a day makes one alert, not one an hour. A notified run is not
        alerted when a notified run ended with the same issue within the hour."""
        self.ensure_one()
        if self.issue not in ALERTS.get(self.trigger, {}):
            return
        domain = [("trigger", "=", self.trigger), ("id", "<", self.id), ("state", "!=", "running")]
        if self.trigger == "notified":
            # Notified runs follow each other within seconds: one alert an hour per issue.
            domain += [("issue", "=", self.issue), ("date_end", ">=", fields.Datetime.now() - NOTIFIED_ALERT_EVERY)]
        previous = self.sudo().search(domain, order="id desc", limit=1)
        if previous.issue == self.issue:
            self.sudo().message_post(body=self._get_same_issue_note(previous), subtype_xmlid="mail.mt_note")
            return
        admins = (
            self.env.ref("stock.group_stock_manager")
            .sudo()
            .all_user_ids.filtered(lambda user: user.active and not user.share)
        )
        self.sudo().message_subscribe(partner_ids=admins.partner_id.ids)
        self.sudo().message_post(
            body=self._get_alert_body(),
            subject=_("Stock API synchronisation %(name)s needs attention", name=self.name),
            partner_ids=admins.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
        )

    # str() translates a term of the table here as _() would: in the language
    # of the run's context, else of its user's.

    def _get_same_issue_note(self, previous):
        return str(SAME_ISSUE_NOTES[self.trigger]) % {"previous": previous.name}

    def _get_alert_body(self):
        """The alert, worded for the run's trigger and issue."""
        reason = self.failure_message if self.issue == "failed" else self.hold_reason
        values = {"name": self.name, "reason": reason, "errors": self.error_count, "total": self.done_count}
        return str(ALERTS[self.trigger][self.issue]) % values

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def _check_manager(self):
        if not self.env.user.has_group("stock.group_stock_manager"):
            raise AccessError(_("Only inventory administrators can apply or discard a synchronisation."))

    def action_apply(self):
        """Sync the products of a held run or a preview again, with the brake
        lifted for this run: what is applied is what the API says now."""
        self._check_manager()
        self.ensure_one()
        if self.state not in ("held", "planned"):
            raise UserError(_("Only a held or planned synchronisation can be applied."))
        products = run_products(self)
        self.sudo().line_ids.filtered(lambda line: line.state != "applied").unlink()
        self.sudo().write(
            {
                "state": "running",
                "issue": False,
                "brake_lifted": True,
                "hold_reason": False,
                "date_end": False,
                "product_count": len(products),
                "unmapped_location_counts": False,
            }
            | dict.fromkeys(["done_count", "changed_count", "up_to_date_count", "error_count", "zero_count"], 0)
        )
        self.sudo().message_post(
            body=_(
                "Applied by %(user)s: the products are synchronised again with fresh answers.", user=self.env.user.name
            ),
            subtype_xmlid="mail.mt_note",
        )
        sync_again(self, products)
        return self.action_open()

    def action_discard(self):
        self._check_manager()
        if any(run.state not in ("held", "planned") for run in self):
            raise UserError(_("Only a held or planned synchronisation can be discarded."))
        for run in self:
            run.sudo().write({"state": "discarded", "date_end": fields.Datetime.now()})
            run.sudo().message_post(
                body=_("Discarded by %(user)s: nothing was applied.", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.sync.run",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_view_products(self):
        self.ensure_one()
        listed = self.line_ids.product_tmpl_id
        return {
            "type": "ir.actions.act_window",
            "name": _("Products of %(name)s", name=self.name),
            "res_model": "product.template",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", listed.ids)],
            "context": {"create": False},
        }

    def action_view_moves(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Inventory Moves of %(name)s", name=self.name),
            "res_model": "stock.move",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", self.line_ids.move_id.ids)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------
    # Retention
    # ------------------------------------------------------------------

    @api.autovacuum
    def _gc_old_runs(self):
        """Delete the runs older than the retention setting; their inventory moves stay."""
        days = read_setting(self.env, "run_retention_days")
        limit = fields.Datetime.now() - timedelta(days=days)
        old = self.sudo().search([("date_start", "<", limit), ("state", "!=", "running")])
        _logger.info("Deleting %d stock API synchronisations older than %d days", len(old), days)
        old.unlink()
