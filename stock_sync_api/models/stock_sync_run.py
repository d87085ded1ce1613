import logging
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import split_every

from .sync_outcome import StockChange, SyncConfig, SyncOutcome

_logger = logging.getLogger(__name__)

#: The phases of a batch, whose durations are logged at DEBUG level.
SYNC_PHASES = ("fetch", "compare", "apply", "bookkeeping")

#: What makes a scheduled run worth an alert, in the order they are judged.
ISSUES = [("failed", "Failed"), ("held", "Held"), ("errors", "With errors")]


class _PhaseTimer:
    """Adds up the wall time a batch spends in each of :data:`SYNC_PHASES`."""

    def __init__(self):
        self.seconds = dict.fromkeys(SYNC_PHASES, 0.0)

    @contextmanager
    def __call__(self, phase):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start


class StockSyncRun(models.Model):
    _name = "stock.sync.run"
    _inherit = ["mail.thread"]
    _description = "Stock API Synchronisation"
    _order = "date_start desc, id desc"

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    trigger = fields.Selection(
        selection=[("cron", "Scheduled"), ("manual", "Manual"), ("preview", "Preview")],
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
        help="Products with an external ID that the scheduled run left out: archived, or of an archived company.",
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
    product_tmpl_ids = fields.Many2many(
        "product.template",
        string="Selected Products",
        readonly=True,
        help="The products a manual run or a preview covers. A scheduled run covers every product with an external ID.",
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

    @api.depends("line_ids.move_id", "line_ids.product_tmpl_id")
    def _compute_move_count(self):
        groups = self.env["stock.sync.run.line"]._read_group(
            [("run_id", "in", self.ids)],
            ["run_id"],
            ["move_id:count", "product_tmpl_id:count_distinct"],
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
    def _start(self, trigger, templates=None):
        """A new run, recorded as the sync's own bookkeeping (whoever starts it).

        :param templates: the products of a manual run or a preview
        """
        vals = {"trigger": trigger, "user_id": self.env.user.id}
        if templates is not None:
            vals.update(product_tmpl_ids=[fields.Command.set(templates.ids)], product_count=len(templates))
        return self.sudo().create(vals).with_env(self.env)

    @api.model
    def _get_scheduled_run(self):
        """The scheduled round in progress, or a new one: a round is one run,
        however many calls of the scheduled action it takes."""
        run = self.sudo().search([("trigger", "=", "cron"), ("state", "=", "running")], order="id desc", limit=1)
        return run.with_env(self.env) if run else self._start("cron")

    def _get_scheduled_pending(self):
        """Products of this scheduled round that it has not handled yet."""
        self.ensure_one()
        # A product this run could not lock has a line, but is not marked as
        # handled by this run (another transaction held its row).
        listed = self.env["stock.sync.run.line"].sudo().search([("run_id", "=", self.id)]).product_tmpl_id
        Template = self.env["product.template"]
        return Template.search(
            Template._get_api_sync_domain()
            + [
                "|",
                ("api_last_run_id", "=", False),
                ("api_last_run_id", "!=", self.id),
                ("id", "not in", listed.ids),
            ],
            order="id",
        )

    def _count_left_out(self):
        """Count, and mark as such, the products with an external ID that the
        scheduled round leaves out (archived, or of an archived company)."""
        self.ensure_one()
        Template = self.env["product.template"].with_context(active_test=False)
        left_out = Template.search(Template._get_api_sync_left_out_domain())
        left_out._api_sync_mark_left_out()
        self.sudo().skipped_count = len(left_out)

    def _get_products(self):
        """The products this run covers (to sync them again): those chosen for
        a manual run or a preview, every product with an external ID of the
        user's companies for a scheduled one."""
        self.ensure_one()
        Template = self.env["product.template"].with_context(allowed_company_ids=self.env.user.company_ids.ids)
        if self.trigger == "cron":
            return Template.search(Template._get_api_sync_domain(), order="id")
        return Template.browse(self.product_tmpl_ids.ids).exists().filtered("api_external_id")

    def _applies(self):
        """Whether this run may move stock: a preview never does, unless a person applies it."""
        return self.trigger != "preview" or self.brake_lifted

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
        """Tell the inventory administrators that a scheduled run ended with an
        issue, unless the scheduled run before it ended with the same one: an
        API down for a day makes one alert, not one an hour."""
        self.ensure_one()
        if self.trigger != "cron" or not self.issue:
            return
        previous = self.sudo().search(
            [("trigger", "=", "cron"), ("id", "<", self.id), ("state", "!=", "running")], order="id desc", limit=1
        )
        if previous.issue == self.issue:
            self.sudo().message_post(
                body=_(
                    "Same issue as the previous scheduled synchronisation %(previous)s: no new alert.",
                    previous=previous.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
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

    def _get_alert_body(self):
        if self.issue == "failed":
            return _(
                "The scheduled synchronisation %(name)s failed: %(reason)s", name=self.name, reason=self.failure_message
            )
        if self.issue == "held":
            return _(
                "The scheduled synchronisation %(name)s was held and applied nothing more: %(reason)s "
                "Open it to see what it would change, then apply or discard it.",
                name=self.name,
                reason=self.hold_reason,
            )
        return _(
            "The scheduled synchronisation %(name)s ended with %(errors)s products in error out of %(total)s.",
            name=self.name,
            errors=self.error_count,
            total=self.done_count,
        )

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
        templates = self._get_products()
        self.sudo().line_ids.filtered(lambda line: line.state != "applied").unlink()
        self.sudo().write(
            {
                "state": "running",
                "issue": False,
                "brake_lifted": True,
                "hold_reason": False,
                "date_end": False,
                "product_count": len(templates),
                "done_count": 0,
                "changed_count": 0,
                "up_to_date_count": 0,
                "error_count": 0,
                "zero_count": 0,
            }
        )
        self.sudo().message_post(
            body=_(
                "Applied by %(user)s: the products are synchronised again with fresh answers.", user=self.env.user.name
            ),
            subtype_xmlid="mail.mt_note",
        )
        self._sync(templates)
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
        days = self.env["res.config.settings"]._get_api_sync_run_param("run_retention_days")
        limit = fields.Datetime.now() - timedelta(days=days)
        old = self.sudo().search([("date_start", "<", limit), ("state", "!=", "running")])
        _logger.info("Deleting %d stock API synchronisations older than %d days", len(old), days)
        old.unlink()

    # ------------------------------------------------------------------
    # Synchronisation
    # ------------------------------------------------------------------

    def _sync(self, templates, after_batch=None):
        """Sync ``templates`` in this run, one ``sync-cli`` run per batch, each
        batch of one company. Never raises for a product's failure: each
        product records its outcome; an unexpected error ends the run as failed.

        ``after_batch(batch)`` is called after each batch; when it returns a
        false value, the remaining batches are left for later (the run stays
        running). Otherwise the run ends.

        While a batch is compared, applied and recorded, the next batch's
        ``sync-cli`` run already asks the API (never more than one run at a
        time): the API's latency is hidden behind Odoo's work.

        :return: ``{template_id: SyncOutcome}`` of the products handled
        """
        self.ensure_one()
        Settings = self.env["res.config.settings"]
        try:
            config = SyncConfig(
                Settings._get_api_sync_settings(), Settings._get_api_sync_batch_size(), Settings._get_api_sync_brake()
            )
        except UserError as exc:
            return self._sync_not_configured(templates, exc.args[0])
        outcomes = {}
        batches = self._sync_batches(templates, config, outcomes)
        try:
            if after_batch is None:
                try:
                    with self.env.cr.savepoint():
                        for _batch in batches:
                            pass
                except Exception as exc:  # noqa: BLE001 -- the run records what stopped it
                    return self._sync_failed(exc, templates)
            else:
                # after_batch commits (the scheduled action): no savepoint can
                # span the batches, and what it raises (the worker stopping) is
                # none of the run's business.
                while True:
                    try:
                        batch = next(batches)
                    except StopIteration:
                        break
                    except Exception as exc:  # noqa: BLE001 -- the run records what stopped it
                        self.env.cr.rollback()  # back to the last batch committed
                        return self._sync_failed(exc, templates)
                    if not after_batch(batch):
                        return outcomes
        finally:
            batches.close()  # stops the fetch of a batch left for later
        self._finish()
        return outcomes

    def _sync_failed(self, error, templates):
        _logger.error("Stock API synchronisation %s failed", self.name, exc_info=error)
        self._fail(_("The synchronisation stopped on an unexpected error: %(error)s", error=error))
        message = _("Unexpected error during synchronisation: %(error)s", error=error)
        return {template.id: SyncOutcome("error", message) for template in templates}

    def _sync_not_configured(self, templates, message):
        """End a run that cannot start (a setting is missing or wrong): each
        product says why, and the run fails, without a line per product."""
        _logger.warning("Stock API synchronisation %s of %d products not run: %s", self.name, len(templates), message)
        locked = templates.try_lock_for_update(allow_referencing=True)
        outcomes = {template.id: SyncOutcome("error", message) for template in locked}
        if self._applies():
            locked._api_sync_write_outcomes(outcomes, self)
        busy = SyncOutcome("busy", self._busy_message())
        outcomes.update((template.id, busy) for template in templates - locked)
        run = self.sudo()
        run.write({"done_count": run.done_count + len(templates), "error_count": run.error_count + len(templates)})
        self._fail(_("The synchronisation could not run: %(error)s", error=message))
        return outcomes

    def _sync_batches(self, templates, config, outcomes):
        """Sync the batches of ``templates`` one by one, adding each product's
        outcome to ``outcomes``; yields each batch once it is done.

        :param config: a :class:`SyncConfig`
        """
        settings, batch_size, brake = config
        batches = [
            (company, self.env["product.template"].browse(ids))
            for company, group in self._group_by_company(templates)
            for ids in split_every(batch_size, group.ids)
        ]
        ahead = None  # the fetch of the next batch, once started
        try:
            for index, (company, batch) in enumerate(batches):
                fetched, ahead = ahead, None
                following = batches[index + 1][1] if index + 1 < len(batches) else None

                def fetch_next(following=following):
                    nonlocal ahead
                    ahead = following._api_sync_fetch_ahead(settings)

                try:
                    run = self.with_company(company)
                    outcomes.update(run._sync_batch(batch, settings, brake, fetched, fetch_next if following else None))
                finally:
                    if fetched is not None:
                        fetched.cancel()  # only waits, unless the batch failed before using it
                yield batch
        finally:
            if ahead is not None:
                ahead.cancel()

    def _group_by_company(self, templates):
        """``[(company, templates)]``: the company each product is counted in
        (its own, or the current one for a product shared by all companies),
        in the order of ``templates``."""
        # One grouped query: reading each product's company costs more than
        # the rest of an unchanged product's sync.
        position = {template_id: index for index, template_id in enumerate(templates.ids)}
        groups = defaultdict(list)
        Template = templates.sudo().with_context(active_test=False)
        for company, ids in Template._read_group([("id", "in", templates.ids)], ["company_id"], ["id:array_agg"]):
            groups[company.with_env(self.env) or self.env.company].extend(ids)
        ordered = sorted(groups.items(), key=lambda group: min(position[i] for i in group[1]))
        return [(company, templates.browse(sorted(ids, key=position.__getitem__))) for company, ids in ordered]

    def _sync_batch(self, templates, settings, brake, fetched=None, fetch_next=None):
        """Sync one batch of one company (``self.env.company``): fetch, compare,
        apply, record. Never raises.

        :param fetched: the :class:`BackgroundFetch` of this batch, if started
        :param fetch_next: called once this batch's answers are in, to start
            fetching the next batch
        """
        try:
            with self.env.cr.savepoint():
                return self._sync_batch_unsafe(templates, settings, brake, fetched, fetch_next)
        except Exception as exc:  # noqa: BLE001 -- a batch must never stop the others
            _logger.exception("Stock API sync of products %s failed", templates.ids)
            error = _("Unexpected error during synchronisation: %(error)s", error=exc)
            return self._record_failure(templates, error)

    def _record_failure(self, templates, message):
        """Record the same error for every product of ``templates`` that no
        other sync holds (the batch's savepoint, rolled back, released them)."""
        locked = templates.try_lock_for_update(allow_referencing=True)
        outcomes = {template.id: SyncOutcome("busy", self._busy_message()) for template in templates - locked}
        outcomes.update({template.id: SyncOutcome("error", message) for template in locked})
        self._record_batch(templates, outcomes, None)
        return outcomes

    def _sync_batch_unsafe(self, templates, settings, brake, fetched=None, fetch_next=None):
        """Fetch, compare, apply and record one batch, doing nothing per product
        that can be done for the whole batch at once.

        How long each phase took is logged at DEBUG level, with the durations
        in the record's ``api_sync_timings`` (``{phase: seconds}``).
        """
        timer = _PhaseTimer()
        company = self.env.company
        with timer("compare"):
            # Referencing stays allowed: run lines of another sync may point at a product.
            locked = templates.try_lock_for_update(allow_referencing=True)
            locked._api_sync_prefetch()
            outcomes = {template.id: SyncOutcome("busy", self._busy_message()) for template in templates - locked}
            variants = locked._get_api_sync_variants()
            refused = locked._get_api_sync_refusals(variants)
            outcomes.update(refused)
            to_fetch = locked.filtered(lambda t: t.id not in refused)
            try:
                location = company._get_stock_sync_location() if to_fetch else None
            except UserError as exc:
                outcomes.update({template.id: SyncOutcome("error", exc.args[0]) for template in to_fetch})
                to_fetch = to_fetch.browse()
                location = None

        with timer("fetch"):
            results = to_fetch._api_sync_fetch(settings, fetched)
        if fetch_next is not None:
            fetch_next()

        with timer("compare"):
            quantities = {}
            digits = self.env["decimal.precision"].precision_get("Product Unit")
            for template in to_fetch:
                result = results[template.api_external_id]
                if result.ok:
                    try:
                        quantities[template] = template._get_api_sync_quantity(result.quantity, digits)
                    except UserError as exc:
                        outcomes[template.id] = SyncOutcome("error", exc.args[0])
                else:
                    outcomes[template.id] = SyncOutcome("error", self._get_fetch_error_message(result))
                    _logger.warning(
                        "Stock API sync failed for product %r (id %s, external ID %r): %s: %s",
                        template.display_name,
                        template.id,
                        template.api_external_id,
                        result.status,
                        result.error,
                    )
            # On hand is read after the fetch: stock that moved meanwhile counts.
            changes = self._compare(quantities, location, variants, outcomes)
            applies = self._applies() and not self._judge_brake(changes, len(quantities), brake)

        with timer("apply"):
            if applies:
                outcomes.update(self._apply(changes, location, variants))
            else:
                outcomes.update(self._plan(changes))

        with timer("bookkeeping"):
            self._record_batch(templates, outcomes, location)
            # Written now rather than when the batch's savepoint is released,
            # so that the time is counted here.
            self.env.flush_all()

        _logger.debug(
            "Stock API sync of a batch of %d products (%d changed): %s",
            len(templates),
            len(changes),
            ", ".join(f"{phase} {seconds:.3f} s" for phase, seconds in timer.seconds.items()),
            extra={"api_sync_timings": timer.seconds},
        )
        return outcomes

    @api.model
    def _busy_message(self):
        return _("Already being synchronised: try again in a moment.")

    @api.model
    def _get_fetch_error_message(self, result):
        labels = {
            "not_found": _("Not found in the stock API"),
            "invalid_response": _("Invalid answer from the stock API"),
            "connection_error": _("Could not reach the stock API"),
            "timeout": _("The stock API did not answer in time"),
            "http_error": _("The stock API answered with an error"),
            "invalid_id": _("Invalid external ID"),
            "cli_error": _("sync-cli failed"),
        }
        label = labels.get(result.status, result.status)
        # Translatable as a whole: French puts a space before the colon.
        return _("%(label)s: %(detail)s", label=label, detail=result.error) if result.error else label

    def _compare(self, quantities, location, variants, outcomes):
        """Compare each template's API quantity with its on-hand at ``location``;
        record the outcome of those already up to date in ``outcomes``.

        :param quantities: ``{template: quantity}``
        :param variants: ``{template: variant}``
        :return: ``{template: StockChange}`` of the others
        """
        if not quantities:
            return {}
        products = self.env["product.product"].concat(*(variants[t] for t in quantities))
        on_hand = self.env["stock.quant"]._get_api_sync_on_hand(products, location)
        up_to_date = SyncOutcome("ok", _("Up to date: on hand matches the stock API."))
        changes = {}
        for template, quantity in quantities.items():
            before = on_hand[variants[template]]
            if template.uom_id.compare(before, quantity) == 0:
                outcomes[template.id] = up_to_date
            else:
                changes[template] = StockChange(before, quantity)
        return changes

    def _judge_brake(self, changes, compared, brake):
        """Judge everything this run has compared so far, this batch included:
        when too many products would drop to zero, or change at all, the run
        is held and applies nothing more.

        :param compared: how many products of this batch were compared
        :param brake: the brake's settings (``res.config.settings._get_api_sync_brake``)
        :return: whether the run is held
        """
        self.ensure_one()
        if self.hold_reason:
            return True
        if self.brake_lifted:
            return False
        compared += self.changed_count + self.up_to_date_count
        changed = self.changed_count + len(changes)
        zero = self.zero_count + sum(change.drops_to_zero for change in changes.values())
        if compared < brake.min_products:
            return False
        reason = None
        if 100.0 * zero / compared > brake.zero_percent:
            reason = _(
                "%(zero)s of the %(compared)s products compared would drop to zero, more than the %(limit)s%% allowed.",
                zero=zero,
                compared=compared,
                limit=f"{brake.zero_percent:g}",
            )
        elif 100.0 * changed / compared > brake.change_percent:
            reason = _(
                "%(changed)s of the %(compared)s products compared would change, more than the %(limit)s%% allowed.",
                changed=changed,
                compared=compared,
                limit=f"{brake.change_percent:g}",
            )
        if reason is None:
            return False
        _logger.warning("Stock API synchronisation %s held: %s", self.name, reason)
        self.sudo().hold_reason = reason
        self.sudo().message_post(body=_("Held: %(reason)s", reason=reason), subtype_xmlid="mail.mt_note")
        return True

    def _plan(self, changes):
        """Outcomes of changes found and not applied (a preview, a held run)."""
        return {
            template.id: SyncOutcome("planned", template._get_api_sync_change_message(change, applied=False), change)
            for template, change in changes.items()
        }

    def _apply(self, changes, location, variants):
        """Set each changed template's on-hand to its API quantity.

        :param changes: ``{template: StockChange}``
        :return: ``{template_id: SyncOutcome}``
        """
        if not changes:
            return {}
        if not self.env.user.has_group("stock.group_stock_user"):
            message = _(
                "The user %(user)s who runs the synchronisation is not an Inventory user: no stock can be adjusted.",
                user=self.env.user.name,
            )
            return {template.id: SyncOutcome("error", message, change) for template, change in changes.items()}
        return self._adjust(changes, location, variants)

    def _adjust(self, changes, location, variants):
        """Apply ``{template: StockChange}`` as one inventory adjustment.

        Should the batch fail as a whole, each product is tried on its own so
        that one product's problem does not hold back the others.
        """
        try:
            with self.env.cr.savepoint():
                moves = self.env["stock.quant"]._api_sync_apply_inventory(
                    {variants[template]: change for template, change in changes.items()}, location
                )
        except Exception as exc:  # noqa: BLE001 -- isolate the faulty product below
            if len(changes) == 1:
                [(template, change)] = changes.items()
                _logger.warning(
                    "Stock API sync could not adjust product %r (external ID %r): %s",
                    template.display_name,
                    template.api_external_id,
                    exc,
                )
                message = _("Odoo could not apply the inventory adjustment: %(error)s", error=exc)
                return {template.id: SyncOutcome("error", message, change)}
            outcomes = {}
            for template, change in changes.items():
                outcomes.update(self._adjust({template: change}, location, variants))
            return outcomes
        outcomes = {}
        for template, change in changes.items():
            move = moves.get(variants[template])
            message = template._get_api_sync_change_message(change)
            outcomes[template.id] = SyncOutcome("ok", message, change, move.id if move else None)
        return outcomes

    def _record_batch(self, templates, outcomes, location):
        """Record a batch's outcomes: on its products, as run lines (changed and
        failed products only), in the run's counts and the products' chatter."""
        self.ensure_one()
        company = self.env.company
        line_states = {"ok": "applied", "planned": "planned", "error": "error", "busy": "error"}
        lines = []
        counts = defaultdict(int)
        for template in templates:
            outcome = outcomes[template.id]
            counts["done"] += 1
            if outcome.state in ("error", "busy"):
                counts["error"] += 1
            elif outcome.change is None:
                counts["up_to_date"] += 1
            else:
                counts["changed"] += 1
                counts["zero"] += outcome.change.drops_to_zero
            if outcome.state in ("error", "busy") or outcome.change is not None:
                change = outcome.change or StockChange(0.0, 0.0)
                lines.append(
                    {
                        "run_id": self.id,
                        "product_tmpl_id": template.id,
                        "external_id": template.api_external_id,
                        "company_id": (template.company_id or company).id,
                        "location_id": location.id if location else False,
                        "on_hand": change.on_hand,
                        "api_quantity": change.quantity,
                        "state": line_states[outcome.state],
                        "message": outcome.message,
                        "move_id": outcome.move_id or False,
                    }
                )
        if lines:
            self.env["stock.sync.run.line"].sudo().create(lines)
        run = self.sudo()
        run.write(
            {
                "done_count": run.done_count + counts["done"],
                "changed_count": run.changed_count + counts["changed"],
                "up_to_date_count": run.up_to_date_count + counts["up_to_date"],
                "error_count": run.error_count + counts["error"],
                "zero_count": run.zero_count + counts["zero"],
            }
        )
        templates._api_sync_log_changes(
            {template: outcomes[template.id].change for template in templates if outcomes[template.id].changed},
            location,
        )
        if self._applies():
            # A product another sync holds is left to it.
            templates._api_sync_write_outcomes(
                {tid: outcome for tid, outcome in outcomes.items() if outcome.state != "busy"}, self
            )
