import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import split_every

from ..synccli import check_external_id, fetch

_logger = logging.getLogger(__name__)

#: System parameter holding when the running scheduled sync round started.
ROUND_PARAM = "stock_sync_api.cron_round_started_at"


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
        for ids in split_every(batch_size, self.ids):
            batch = self.browse(ids)
            outcomes.update(batch._api_sync_batch(settings))
            if after_batch is not None and not after_batch(batch):
                break
        return outcomes

    def _api_sync_batch(self, settings):
        """Sync one batch: fetch, compare, apply, record. Never raises."""
        try:
            with self.env.cr.savepoint():
                return self._api_sync_batch_unsafe(settings)
        except Exception as exc:  # noqa: BLE001 -- a batch must never stop the others
            _logger.exception("Stock API sync of products %s failed", self.ids)
            error = _("Unexpected error during synchronisation: %(error)s", error=exc)
            outcomes = {template.id: ("error", error) for template in self}
            self._api_sync_write_outcomes(outcomes)
            return outcomes

    def _api_sync_batch_unsafe(self, settings):
        templates = self._api_sync_lock()
        outcomes = {}
        for template in self - templates:
            outcomes[template.id] = ("busy", self._get_api_sync_busy_message())

        refused = templates._get_api_sync_refusals()
        outcomes.update(refused)
        templates = templates.filtered(lambda t: t.id not in refused)

        results = fetch([t.api_external_id for t in templates], settings)
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
        outcomes.update(self._api_sync_apply(quantities))
        self._api_sync_write_outcomes(outcomes)
        return outcomes

    def _api_sync_lock(self):
        """Lock these rows for the sync; return those no other sync holds."""
        if not self:
            return self
        self.env.cr.execute(
            "SELECT id FROM product_template WHERE id IN %s FOR UPDATE SKIP LOCKED",
            [tuple(self.ids)],
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _get_api_sync_busy_message(self):
        return _("Already being synchronised: try again in a moment.")

    def _get_api_sync_refusals(self):
        """Products whose quantity the inventory adjustment cannot set safely."""
        refused = {}
        for template in self:
            if template.product_variant_count != 1:
                message = _(
                    "This product has %(count)s variants: only products with a single variant can be synchronised.",
                    count=template.product_variant_count,
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

    def _api_sync_apply(self, quantities):
        """Set each template's on-hand to its API quantity through an inventory adjustment.

        :param quantities: ``{template: quantity}``
        :return: outcomes ``{template_id: (state, message)}``
        """
        if not quantities:
            return {}
        location = self._get_api_sync_location()
        products = self.env["product.product"].concat(*(t.product_variant_id for t in quantities))
        on_hand = self._get_api_sync_on_hand(products, location)
        outcomes = {}
        changes = {}
        for template, quantity in quantities.items():
            before = on_hand[template.product_variant_id]
            if template.uom_id.compare(before, quantity) == 0:
                outcomes[template.id] = ("ok", _("Up to date: on hand matches the stock API."))
            else:
                changes[template] = (before, quantity)
        if changes:
            if not self.env.user.has_group("stock.group_stock_user"):
                message = _(
                    "The user %(user)s who runs the synchronisation is not an Inventory user: "
                    "no stock can be adjusted.",
                    user=self.env.user.name,
                )
                return dict(outcomes, **{template.id: ("error", message) for template in changes})
            outcomes.update(self._api_sync_adjust(changes, location))
        return outcomes

    def _api_sync_adjust(self, changes, location):
        """Apply ``{template: (before, after)}`` as one inventory adjustment.

        Should the batch fail as a whole, each product is tried on its own so
        that one product's problem does not hold back the others.
        """
        try:
            with self.env.cr.savepoint():
                self._api_sync_apply_inventory(changes, location)
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
                outcomes.update(self._api_sync_adjust({template: change}, location))
            return outcomes
        outcomes = {}
        for template, (before, after) in changes.items():
            message = _(
                "On hand %(before)s -> %(after)s",
                before=self._format_api_sync_quantity(template, before),
                after=self._format_api_sync_quantity(template, after),
            )
            outcomes[template.id] = ("ok", message)
            # As the sync's own bookkeeping: a stock manager may have no right to
            # edit products, which posting on them needs. The author stays the user.
            template.sudo().message_post(
                body=_(
                    "Stock synchronised with the stock API (external ID %(external_id)s): "
                    "on hand at %(location)s %(before)s -> %(after)s %(uom)s.",
                    external_id=template.api_external_id,
                    location=location.display_name,
                    before=self._format_api_sync_quantity(template, before),
                    after=self._format_api_sync_quantity(template, after),
                    uom=template.uom_id.name,
                )
            )
        return outcomes

    def _api_sync_apply_inventory(self, changes, location):
        """Create the inventory counts and apply them, checking that stock moved.

        :raises UserError: Odoo did not apply the counts as asked
        """
        products = self.env["product.product"].concat(*(t.product_variant_id for t in changes))
        exact = self.env["stock.quant"]._read_group(
            [
                ("product_id", "in", products.ids),
                ("location_id", "=", location.id),
                ("lot_id", "=", False),
                ("package_id", "=", False),
                ("owner_id", "=", False),
            ],
            ["product_id"],
            ["quantity:sum"],
        )
        at_location = dict(exact)
        Quant = self.env["stock.quant"].with_context(
            inventory_mode=True,
            inventory_name=_("Stock API synchronisation"),
        )
        vals_list = []
        for template, (before, after) in changes.items():
            product = template.product_variant_id
            # Only the difference is applied, on the location's own quant:
            # stock kept in sub-locations stays where it is.
            vals_list.append(
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "inventory_quantity": at_location.get(product, 0.0) + after - before,
                }
            )
        quants = Quant.create(vals_list)
        result = quants.action_apply_inventory()
        if isinstance(result, dict):
            raise UserError(_("Odoo reported a conflict with an inventory count in progress; nothing was applied."))
        on_hand = self._get_api_sync_on_hand(products, location)
        for template, (_before, after) in changes.items():
            if template.uom_id.compare(on_hand[template.product_variant_id], after) != 0:
                raise UserError(
                    _(
                        "The inventory adjustment of %(product)s did not take effect.",
                        product=template.display_name,
                    )
                )

    def _api_sync_write_outcomes(self, outcomes):
        """Record each product's outcome, one write per distinct outcome."""
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
            self.browse(ids).sudo().write(vals)

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
