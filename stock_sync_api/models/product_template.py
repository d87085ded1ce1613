import logging
import time
from collections import defaultdict
from contextlib import contextmanager

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import split_every

from ..synccli import BackgroundFetch, check_external_id, fetch

_logger = logging.getLogger(__name__)

#: System parameter holding when the running scheduled sync round started.
ROUND_PARAM = "stock_sync_api.cron_round_started_at"

#: The phases of a batch, whose durations are logged at DEBUG level.
SYNC_PHASES = ("fetch", "compare", "apply", "bookkeeping")


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

    _api_external_id_unique = models.Constraint(
        "UNIQUE(api_external_id)",
        "This external ID is already used by another product: each product needs its own.",
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
                    }
                )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    def action_api_sync(self):
        """Button and list action: sync these products now, then say what happened."""
        if not self.env.user.has_group("stock.group_stock_manager"):
            raise AccessError(_("Only inventory administrators can run the stock API synchronisation."))
        templates = self.filtered("api_external_id")
        if not templates:
            raise UserError(_("None of these products has an external ID: there is nothing to synchronise."))
        outcomes = templates._api_sync()
        return self._get_api_sync_notification(templates, outcomes)

    @api.model
    def _cron_api_sync(self):
        """Scheduled action: sync every product with an external ID, in batches."""
        pending = self._get_api_sync_cron_pending()
        cron = self.env["ir.cron"]
        if cron._commit_progress(remaining=len(pending)):
            pending._api_sync(after_batch=lambda batch: cron._commit_progress(len(batch)))
        if not self._get_api_sync_cron_pending():
            self.env["ir.config_parameter"].sudo().set_param(ROUND_PARAM, False)

    # ------------------------------------------------------------------
    # Synchronisation
    # ------------------------------------------------------------------

    def _api_sync(self, after_batch=None):
        """Sync these templates with the stock API, one ``sync-cli`` run per batch.

        Never raises for a product's failure: each product records its state
        and message. ``after_batch(batch)`` is called after each batch; when it
        returns a false value, the remaining batches are left for later.

        While a batch is compared, applied and recorded, the next batch's
        ``sync-cli`` run already asks the API (never more than one run at a
        time): the API's latency is hidden behind Odoo's work. When the
        remaining batches are left for later, that run is stopped.

        :return: ``{template_id: (state, message)}`` for the products handled
        """
        outcomes = {}
        try:
            settings = self.env["res.config.settings"]._get_api_sync_settings()
            batch_size = self.env["res.config.settings"]._get_api_sync_batch_size()
        except UserError as exc:
            _logger.warning("Stock API sync of %d products not run: %s", len(self), exc)
            locked = self._api_sync_lock()
            outcomes = dict.fromkeys((self - locked).ids, ("busy", self._get_api_sync_busy_message()))
            outcomes.update(dict.fromkeys(locked.ids, ("error", exc.args[0])))
            self._api_sync_write_outcomes(outcomes)
            return outcomes
        batches = [self.browse(ids) for ids in split_every(batch_size, self.ids)]
        ahead = None  # the fetch of the next batch, once started
        try:
            for index, batch in enumerate(batches):
                fetched, ahead = ahead, None
                following = batches[index + 1] if index + 1 < len(batches) else None

                def fetch_next(following=following):
                    nonlocal ahead
                    ahead = following._api_sync_fetch_ahead(settings)

                try:
                    outcomes.update(batch._api_sync_batch(settings, fetched, fetch_next if following else None))
                finally:
                    if fetched is not None:
                        fetched.cancel()  # only waits, unless the batch failed before using it
                if after_batch is not None and not after_batch(batch):
                    break
        finally:
            if ahead is not None:
                ahead.cancel()
        return outcomes

    def _api_sync_fetch_ahead(self, settings):
        """Start asking the API about these templates, in the background.

        :return: a :class:`BackgroundFetch`
        """
        return BackgroundFetch(dict.fromkeys(t.api_external_id for t in self if t.api_external_id), settings)

    def _api_sync_fetch(self, settings, fetched=None):
        """The API's answers for these templates: those of ``fetched`` (a
        :class:`BackgroundFetch` started earlier), or of a ``sync-cli`` run now.

        :return: ``{external_id: FetchResult}``
        """
        external_ids = [t.api_external_id for t in self]
        results = {}
        if fetched is not None:
            answers = fetched.result()
            results = {external_id: answers[external_id] for external_id in external_ids if external_id in answers}
        missing = [external_id for external_id in external_ids if external_id not in results]
        if missing:
            # Not fetched ahead, or its external ID changed since.
            results.update(fetch(missing, settings))
        return results

    def _api_sync_batch(self, settings, fetched=None, fetch_next=None):
        """Sync one batch: fetch, compare, apply, record. Never raises.

        :param fetched: the :class:`BackgroundFetch` of this batch, if started
        :param fetch_next: called once this batch's answers are in, to start
            fetching the next batch
        """
        try:
            with self.env.cr.savepoint():
                return self._api_sync_batch_unsafe(settings, fetched, fetch_next)
        except Exception as exc:  # noqa: BLE001 -- a batch must never stop the others
            _logger.exception("Stock API sync of products %s failed", self.ids)
            error = _("Unexpected error during synchronisation: %(error)s", error=exc)
            outcomes = {template.id: ("error", error) for template in self}
            self._api_sync_write_outcomes(outcomes)
            return outcomes

    def _api_sync_batch_unsafe(self, settings, fetched=None, fetch_next=None):
        """Fetch, compare, apply and record one batch, doing nothing per product
        that can be done for the whole batch at once.

        How long each phase took is logged at DEBUG level, with the durations
        in the record's ``api_sync_timings`` (``{phase: seconds}``).
        """
        timer = _PhaseTimer()
        with timer("compare"):
            templates = self._api_sync_lock()
            outcomes = dict.fromkeys((self - templates).ids, ("busy", self._get_api_sync_busy_message()))
            variants = templates._get_api_sync_variants()
            refused = templates._get_api_sync_refusals(variants)
            outcomes.update(refused)
            templates = templates.filtered(lambda t: t.id not in refused)

        with timer("fetch"):
            results = templates._api_sync_fetch(settings, fetched)
        if fetch_next is not None:
            fetch_next()

        with timer("compare"):
            quantities = {}
            for template in templates:
                result = results[template.api_external_id]
                if result.ok:
                    quantities[template] = template.uom_id.round(result.quantity)
                else:
                    outcomes[template.id] = ("error", self._get_api_sync_error_message(result))
                    _logger.warning(
                        "Stock API sync failed for product %r (id %s, external ID %r): %s: %s",
                        template.display_name,
                        template.id,
                        template.api_external_id,
                        result.status,
                        result.error,
                    )
            # On hand is read after the fetch: stock that moved meanwhile counts.
            location = self._get_api_sync_location() if quantities else None
            compared, changes = self._api_sync_compare(quantities, location, variants)
            outcomes.update(compared)

        with timer("apply"):
            applied = self._api_sync_apply(changes, location, variants)
            outcomes.update(applied)

        with timer("bookkeeping"):
            done = {template: change for template, change in changes.items() if applied[template.id][0] == "ok"}
            self._api_sync_log_changes(done, location)
            self._api_sync_write_outcomes(outcomes)
            # Written now rather than when the batch's savepoint is released,
            # so that the time is counted here.
            self.env.flush_all()

        _logger.debug(
            "Stock API sync of a batch of %d products (%d changed): %s",
            len(self),
            len(done),
            ", ".join(f"{phase} {seconds:.3f} s" for phase, seconds in timer.seconds.items()),
            extra={"api_sync_timings": timer.seconds},
        )
        return outcomes

    def _api_sync_lock(self):
        """Lock these rows for the sync; return those no other sync holds, in
        the order of ``self`` (the database returns them in any order)."""
        if not self:
            return self
        self.env.cr.execute(
            "SELECT id FROM product_template WHERE id IN %s FOR UPDATE SKIP LOCKED",
            [tuple(self.ids)],
        )
        locked = {row[0] for row in self.env.cr.fetchall()}
        return self.filtered(lambda template: template.id in locked)

    @api.model
    def _get_api_sync_busy_message(self):
        return _("Already being synchronised: try again in a moment.")

    def _get_api_sync_variants(self):
        """The variants of each template, in one query (``product_variant_ids``
        computes them one template at a time).

        :return: ``{template: variants}``
        """
        Product = self.env["product.product"]
        groups = Product._read_group([("product_tmpl_id", "in", self.ids)], ["product_tmpl_id"], ["id:recordset"])
        variants = dict.fromkeys(self, Product)
        variants.update(groups)
        return variants

    def _get_api_sync_refusals(self, variants=None):
        """Products whose quantity the inventory adjustment cannot set safely.

        :param variants: ``{template: variants}``, see :meth:`_get_api_sync_variants`
        """
        if variants is None:
            variants = self._get_api_sync_variants()
        refused = {}
        for template in self:
            if len(variants[template]) != 1:
                message = _(
                    "This product has %(count)s variants: only products with a single variant can be synchronised.",
                    count=len(variants[template]),
                )
            elif not template.is_storable:
                message = _("This product does not track inventory: enable “Track Inventory” to synchronise it.")
            elif template.tracking != "none":
                message = _("This product is tracked by lots or serial numbers, which the stock API does not give.")
            else:
                continue
            refused[template.id] = ("error", message)
        return refused

    def _get_api_sync_error_message(self, result):
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
        return f"{label}: {result.error}" if result.error else label

    def _get_api_sync_location(self):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1)
        if not warehouse:
            raise UserError(
                _("The company %(company)s has no warehouse to synchronise stock into.", company=self.env.company.name)
            )
        return warehouse.lot_stock_id

    def _get_api_sync_on_hand(self, products, location):
        """On-hand quantity of each product at ``location`` and below, in one query."""
        groups = self.env["stock.quant"]._read_group(
            [("product_id", "in", products.ids), ("location_id", "child_of", location.id)],
            ["product_id"],
            ["quantity:sum"],
        )
        on_hand = dict.fromkeys(products, 0.0)
        on_hand.update(groups)
        return on_hand

    def _api_sync_compare(self, quantities, location, variants):
        """Compare each template's API quantity with its on-hand at ``location``.

        :param quantities: ``{template: quantity}``
        :param variants: ``{template: variant}``
        :return: ``(outcomes, changes)``: the outcomes of the products already
            up to date, and ``{template: (on_hand, quantity)}`` of the others
        """
        if not quantities:
            return {}, {}
        products = self.env["product.product"].concat(*(variants[t] for t in quantities))
        on_hand = self._get_api_sync_on_hand(products, location)
        up_to_date = ("ok", _("Up to date: on hand matches the stock API."))
        outcomes = {}
        changes = {}
        for template, quantity in quantities.items():
            before = on_hand[variants[template]]
            if template.uom_id.compare(before, quantity) == 0:
                outcomes[template.id] = up_to_date
            else:
                changes[template] = (before, quantity)
        return outcomes, changes

    def _api_sync_apply(self, changes, location, variants):
        """Set each changed template's on-hand to its API quantity.

        :param changes: ``{template: (on_hand, quantity)}``
        :param variants: ``{template: variant}``
        :return: outcomes ``{template_id: (state, message)}``
        """
        if not changes:
            return {}
        if not self.env.user.has_group("stock.group_stock_user"):
            message = _(
                "The user %(user)s who runs the synchronisation is not an Inventory user: "
                "no stock can be adjusted.",
                user=self.env.user.name,
            )
            return {template.id: ("error", message) for template in changes}
        return self._api_sync_adjust(changes, location, variants)

    def _api_sync_adjust(self, changes, location, variants):
        """Apply ``{template: (before, after)}`` as one inventory adjustment.

        Should the batch fail as a whole, each product is tried on its own so
        that one product's problem does not hold back the others.
        """
        try:
            with self.env.cr.savepoint():
                self._api_sync_apply_inventory(changes, location, variants)
        except Exception as exc:  # noqa: BLE001 -- isolate the faulty product below
            if len(changes) == 1:
                template = next(iter(changes))
                _logger.warning(
                    "Stock API sync could not adjust product %r (external ID %r): %s",
                    template.display_name,
                    template.api_external_id,
                    exc,
                )
                message = _("Odoo could not apply the inventory adjustment: %(error)s", error=exc)
                return {template.id: ("error", message)}
            outcomes = {}
            for template, change in changes.items():
                outcomes.update(self._api_sync_adjust({template: change}, location, variants))
            return outcomes
        outcomes = {}
        for template, (before, after) in changes.items():
            message = _(
                "On hand %(before)s -> %(after)s",
                before=self._format_api_sync_quantity(template, before),
                after=self._format_api_sync_quantity(template, after),
            )
            outcomes[template.id] = ("ok", message)
        return outcomes

    def _api_sync_apply_inventory(self, changes, location, variants):
        """Count each product at ``location`` and apply the counts, checking that stock moved.

        The counts are those Odoo's "set the counted quantity, then apply"
        makes, prepared for the whole batch at once (one search, one write per
        distinct counted quantity) instead of one quant creation per product,
        and applied by one ``action_apply_inventory``: one done inventory move
        and move line per product, with the same quants and valuation.

        :raises UserError: Odoo did not apply the counts as asked
        """
        products = self.env["product.product"].concat(*(variants[t] for t in changes))
        Quant = self.env["stock.quant"].with_context(
            inventory_mode=True,
            inventory_name=_("Stock API synchronisation"),
        )
        count_quants = self._get_api_sync_count_quants(Quant, products, location)
        counted = defaultdict(list)
        for template, (before, after) in changes.items():
            quant = count_quants[variants[template]]
            # Only the difference is applied, on the location's own quant:
            # stock kept in sub-locations stays where it is.
            counted[quant.quantity + after - before].append(quant.id)
        for inventory_quantity, quant_ids in counted.items():
            Quant.sudo().browse(quant_ids).write({"inventory_quantity": inventory_quantity})
        quants = Quant.browse([count_quants[variants[t]].id for t in changes])
        quants.sudo().write({"user_id": self.env.user.id, "inventory_date": fields.Date.today()})
        result = quants.action_apply_inventory()
        if isinstance(result, dict):
            raise UserError(_("Odoo reported a conflict with an inventory count in progress; nothing was applied."))
        on_hand = self._get_api_sync_on_hand(products, location)
        for template, (_before, after) in changes.items():
            if template.uom_id.compare(on_hand[variants[template]], after) != 0:
                raise UserError(
                    _(
                        "The inventory adjustment of %(product)s did not take effect.",
                        product=template.display_name,
                    )
                )

    @api.model
    def _get_api_sync_count_quants(self, Quant, products, location):
        """The quant an inventory count of each product at ``location`` sets.

        The one Odoo's counting picks (``stock.quant.create`` in inventory
        mode): the product's quant at the location itself, without lot,
        package or owner, the first one in removal order should there be
        several, or a new empty one.

        :param Quant: ``stock.quant`` in inventory mode
        :return: ``{product: quant}``, each quant as superuser
        """
        found = defaultdict(list)
        for quant in Quant.search_fetch(
            [
                ("product_id", "in", products.ids),
                ("location_id", "=", location.id),
                ("lot_id", "=", False),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ],
            ["product_id", "quantity"],
        ):
            found[quant.product_id].append(quant)
        result = {}
        missing = []
        for product in products:
            candidates = found.get(product)
            if not candidates:
                missing.append(product)
            elif len(candidates) == 1:
                result[product] = candidates[0].sudo()
            else:
                result[product] = Quant._gather(product, location, strict=True)[0].sudo()
        if missing:
            created = Quant.sudo().create([{"product_id": p.id, "location_id": location.id} for p in missing])
            result.update(zip(missing, created))
        return result

    def _api_sync_log_changes(self, changes, location):
        """Post one chatter note on each product whose stock the sync changed.

        :param changes: ``{template: (before, after)}``, applied
        """
        if not changes:
            return
        bodies = {
            template.id: _(
                "Stock synchronised with the stock API (external ID %(external_id)s): "
                "on hand at %(location)s %(before)s -> %(after)s %(uom)s.",
                external_id=template.api_external_id,
                location=location.display_name,
                before=self._format_api_sync_quantity(template, before),
                after=self._format_api_sync_quantity(template, after),
                uom=template.uom_id.name,
            )
            for template, (before, after) in changes.items()
        }
        # As the sync's own bookkeeping: a stock manager may have no right to
        # edit products, which posting on them needs. The author stays the user.
        self.browse(list(bodies)).sudo()._message_log_batch(bodies=bodies)

    def _api_sync_write_outcomes(self, outcomes):
        """Record each product's outcome, one write per distinct outcome.

        Products already up to date all share one outcome: a batch of them
        costs one write. None of these fields is tracked, hence no tracking.
        """
        now = fields.Datetime.now()
        groups = defaultdict(list)
        for template_id, (state, message) in outcomes.items():
            if state != "busy":
                groups[state, message].append(template_id)
        for (state, message), ids in groups.items():
            vals = {"api_sync_state": state, "api_sync_message": message, "api_last_attempt_date": now}
            if state == "ok":
                vals["api_last_sync_date"] = now
            # Bookkeeping of the sync itself, whoever triggered it.
            self.browse(ids).sudo().with_context(tracking_disable=True).write(vals)

    @api.model
    def _format_api_sync_quantity(self, template, quantity):
        digits = self.env["decimal.precision"].precision_get("Product Unit")
        text = f"{template.uom_id.round(quantity):.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    # ------------------------------------------------------------------
    # Helpers of the entry points
    # ------------------------------------------------------------------

    @api.model
    def _get_api_sync_cron_pending(self):
        """Products the running scheduled round has not attempted yet."""
        params = self.env["ir.config_parameter"].sudo()
        started_at = params.get_param(ROUND_PARAM)
        if not started_at:
            started_at = fields.Datetime.to_string(fields.Datetime.now())
            params.set_param(ROUND_PARAM, started_at)
        return self.search(
            [
                ("api_external_id", "!=", False),
                "|",
                ("api_last_attempt_date", "=", False),
                ("api_last_attempt_date", "<", started_at),
            ],
            order="id",
        )

    def _get_api_sync_notification(self, templates, outcomes):
        errors = [tid for tid, (state, _message) in outcomes.items() if state in ("error", "busy")]
        if len(templates) == 1:
            state, message = outcomes[templates.id]
            title = templates.display_name
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
                "type": "danger" if errors else "success",
                "sticky": bool(errors),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
