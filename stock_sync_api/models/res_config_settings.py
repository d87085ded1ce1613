import os
import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..synccli import DEFAULTS, MAX_QUANTITY_RANGE, RANGES, SyncCliSettings
from .sync_outcome import BrakeSettings

PARAM_PREFIX = "stock_sync_api."

# DEFAULTS (the default of each system parameter ``stock_sync_api.<key>``),
# RANGES (the accepted range of each whole-number setting) and
# MAX_QUANTITY_RANGE are the runner's (synccli/runner.py): written once, for
# the settings, the system parameters and the sync-cli runs alike.

#: Used as the base URL when its setting is empty (e.g. set by a container).
BASE_URL_ENV = "STOCK_API_URL"

#: The settings of runs and of the brake, ``stock_sync_api.<key>``: default and accepted range.
#: The brake's defaults let a normal hourly run through (a tenth of the
#: catalog changing, a few products sold out) and hold the disasters (every
#: product to zero, a stale snapshot rewriting most of the stock).
RUN_SETTINGS = {
    "hold_zero_percent": (10.0, 0.0, 100.0),
    "hold_change_percent": (50.0, 0.0, 100.0),
    "hold_min_products": (20, 0, 1_000_000),
    "run_retention_days": (90, 1, 36500),
}


def _format_number(value):
    """A setting's number as a person writes it: ``10``, ``12.5``, ``1000000``."""
    return f"{value:.10g}" if isinstance(value, float) and not value.is_integer() else str(int(value))


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    api_sync_base_url = fields.Char(
        string="Stock API URL",
        config_parameter="stock_sync_api.base_url",
        help="Base URL of the stock API, e.g. https://stock.example.com. "
        "When empty, the STOCK_API_URL environment variable of the Odoo server is used.",
    )
    api_sync_endpoint = fields.Char(
        string="Endpoint",
        config_parameter="stock_sync_api.endpoint",
        default=DEFAULTS["endpoint"],
        help="Path of a product's stock, appended to the URL; {id} stands for the external ID.",
    )
    api_sync_token = fields.Char(
        string="API Token",
        config_parameter="stock_sync_api.token",
        groups="base.group_system",
        help="Sent as a Bearer token when set. It is passed to sync-cli in its environment, never on its command line.",
    )
    api_sync_timeout = fields.Integer(
        string="Timeout (seconds)",
        config_parameter="stock_sync_api.timeout",
        default=DEFAULTS["timeout"],
        help="Longest wait for one answer of the stock API.",
    )
    # Not a config_parameter field: those store 0 as "unset", and 0 retries is valid.
    api_sync_retries = fields.Integer(
        string="Retries",
        default=DEFAULTS["retries"],
        help="How many times a request that failed for a passing reason (connection, timeout, 5xx, 429) "
        "is tried again.",
    )
    api_sync_concurrency = fields.Integer(
        string="Concurrent Requests",
        config_parameter="stock_sync_api.concurrency",
        default=DEFAULTS["concurrency"],
        help="How many requests sync-cli sends to the stock API at once.",
    )
    api_sync_batch_size = fields.Integer(
        string="Batch Size",
        config_parameter="stock_sync_api.batch_size",
        default=DEFAULTS["batch_size"],
        help="How many products one sync-cli run handles; the scheduled action commits after each batch.",
    )
    api_sync_cli_path = fields.Char(
        string="sync-cli Path",
        config_parameter="stock_sync_api.cli_path",
        default=DEFAULTS["cli_path"],
        groups="base.group_system",
        help="The sync-cli program the Odoo server runs: a name found on the server's PATH, or an absolute path.",
    )

    api_sync_max_quantity = fields.Float(
        string="Largest Quantity",
        config_parameter="stock_sync_api.max_quantity",
        default=DEFAULTS["max_quantity"],
        digits=(16, 0),
        help="A sanity bound: a quantity above it from the stock API is refused as invalid, never applied.",
    )
    api_sync_ca_file = fields.Char(
        string="CA Certificates File",
        config_parameter="stock_sync_api.ca_file",
        groups="base.group_system",
        help="Path on the Odoo server of a PEM file of CA certificates to trust besides the system's, "
        "for a stock API whose certificate comes from a private CA. Certificates are always verified.",
    )

    # Not config_parameter fields: those store 0 as "unset", and 0 is a valid threshold.
    api_sync_hold_zero_percent = fields.Float(
        string="Hold When Dropping to Zero (%)",
        default=RUN_SETTINGS["hold_zero_percent"][0],
        digits=(5, 2),
        help="A run is held, and applies nothing more, when more than this share of the products it has "
        "compared would drop from positive stock to zero.",
    )
    api_sync_hold_change_percent = fields.Float(
        string="Hold When Changing (%)",
        default=RUN_SETTINGS["hold_change_percent"][0],
        digits=(5, 2),
        help="A run is held, and applies nothing more, when more than this share of the products it has "
        "compared would change at all.",
    )
    api_sync_hold_min_products = fields.Integer(
        string="Hold Only From (Products)",
        default=RUN_SETTINGS["hold_min_products"][0],
        help="Runs that compare fewer products than this are never held: a click on one product never is.",
    )
    api_sync_run_retention_days = fields.Integer(
        string="Keep Synchronisations (Days)",
        default=RUN_SETTINGS["run_retention_days"][0],
        help="Synchronisation runs older than this are deleted; the inventory moves they made stay.",
    )
    api_sync_location_id = fields.Many2one(
        related="company_id.stock_sync_location_id",
        readonly=False,
        string="Stock API Location",
        help="Where the stock API's quantity of this company's products is counted: on hand is compared "
        "at this location and below, and the difference applied at the location itself. When empty, the "
        "stock location of the company's first warehouse. Products shared by all companies are counted in "
        "the location of the company that runs the synchronisation.",
    )

    @api.constrains("api_sync_max_quantity")
    def _check_api_sync_max_quantity(self):
        low, high = MAX_QUANTITY_RANGE
        for settings in self:
            if not low <= settings.api_sync_max_quantity <= high:
                raise ValidationError(
                    _(
                        "The largest quantity must be between %(low)s and %(high)s.",
                        low=f"{low:.0f}",
                        high=f"{high:.0f}",
                    )
                )

    @api.constrains(
        "api_sync_timeout",
        "api_sync_retries",
        "api_sync_concurrency",
        "api_sync_batch_size",
        "api_sync_hold_zero_percent",
        "api_sync_hold_change_percent",
        "api_sync_hold_min_products",
        "api_sync_run_retention_days",
    )
    def _check_api_sync_numbers(self):
        ranges = dict(RANGES)
        ranges.update((key, (low, high)) for key, (_default, low, high) in RUN_SETTINGS.items())
        for settings in self:
            for key, (low, high) in ranges.items():
                value = settings[f"api_sync_{key}"]
                if not low <= value <= high:
                    raise ValidationError(
                        _(
                            "%(setting)s must be between %(low)s and %(high)s, not %(value)s.",
                            setting=self._fields[f"api_sync_{key}"].get_description(self.env)["string"],
                            low=_format_number(low),
                            high=_format_number(high),
                            value=_format_number(value),
                        )
                    )

    @api.constrains("api_sync_endpoint")
    def _check_api_sync_endpoint(self):
        for settings in self:
            if settings.api_sync_endpoint and "{id}" not in settings.api_sync_endpoint:
                raise ValidationError(_("The endpoint must contain {id}, where the external ID goes."))

    @api.model
    def get_values(self):
        res = super().get_values()
        res["api_sync_retries"] = self._get_api_sync_param("retries")
        for key in RUN_SETTINGS:
            try:
                res[f"api_sync_{key}"] = self._get_api_sync_run_param(key)
            except UserError:
                res[f"api_sync_{key}"] = RUN_SETTINGS[key][0]
        return res

    def set_values(self):
        super().set_values()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(PARAM_PREFIX + "retries", str(self.api_sync_retries))
        for key in RUN_SETTINGS:
            params.set_param(PARAM_PREFIX + key, _format_number(self[f"api_sync_{key}"]))

    def action_api_sync_preview_all(self):
        """Preview a synchronisation of the whole catalog: nothing is applied."""
        templates = self.env["product.template"].search([("api_external_id", "!=", False)])
        return templates.action_api_sync_preview()

    def action_open_api_sync_cron(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "ir.cron",
            "res_id": self.env.ref("stock_sync_api.ir_cron_api_sync").id,
            "view_mode": "form",
            "target": "current",
        }

    @api.model
    def _get_api_sync_param(self, key):
        """A ``stock_sync_api.<key>`` system parameter, checked and typed.

        :raises UserError: the stored value is not acceptable; names the parameter
        """
        raw = self.env["ir.config_parameter"].sudo().get_param(PARAM_PREFIX + key)
        default = DEFAULTS[key]
        if raw in (None, False, ""):
            return default
        if isinstance(default, str):
            return raw.strip()
        low, high = MAX_QUANTITY_RANGE if key == "max_quantity" else RANGES[key]
        try:
            value = type(default)(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            if isinstance(default, int):
                message = _(
                    "The setting %(param)s is %(value)r; it must be a whole number between %(low)s and %(high)s.",
                    param=PARAM_PREFIX + key,
                    value=raw,
                    low=low,
                    high=high,
                )
            else:
                message = _(
                    "The setting %(param)s is %(value)r; it must be a number between %(low)s and %(high)s.",
                    param=PARAM_PREFIX + key,
                    value=raw,
                    low=f"{low:.0f}",
                    high=f"{high:.0f}",
                )
            raise UserError(message)
        return value

    @api.model
    def _get_api_sync_settings(self):
        """The settings of a sync-cli run.

        :raises UserError: the synchronisation is not configured or a setting is wrong
        """
        base_url = self._get_api_sync_param("base_url") or os.environ.get(BASE_URL_ENV, "").strip()
        if not base_url:
            raise UserError(
                _(
                    "The stock API URL is not set: set it in Inventory > Configuration > Settings "
                    "(API Sync) or in the STOCK_API_URL environment variable of the server."
                )
            )
        if not base_url.startswith(("http://", "https://")):
            raise UserError(
                _(
                    "The stock API URL %(url)r must start with http:// or https://.",
                    # Never a password given in the URL.
                    url=re.sub(r"^([^/]*//)?[^/@]*@", r"\1***@", base_url),
                )
            )
        endpoint = self._get_api_sync_param("endpoint")
        if "{id}" not in endpoint:
            raise UserError(
                _("The setting %(param)s must contain {id}.", param=PARAM_PREFIX + "endpoint")
            )
        try:
            return SyncCliSettings(
                base_url=base_url,
                cli_path=self._get_api_sync_param("cli_path"),
                endpoint=endpoint,
                token=self._get_api_sync_param("token"),
                timeout=self._get_api_sync_param("timeout"),
                retries=self._get_api_sync_param("retries"),
                concurrency=self._get_api_sync_param("concurrency"),
                max_quantity=self._get_api_sync_param("max_quantity"),
                ca_file=self._get_api_sync_param("ca_file"),
            )
        except ValueError as exc:
            raise UserError(_("The stock API settings are wrong: %(error)s", error=exc)) from exc

    @api.model
    def _get_api_sync_batch_size(self):
        return self._get_api_sync_param("batch_size")

    @api.model
    def _get_api_sync_run_param(self, key):
        """A ``stock_sync_api.<key>`` system parameter of :data:`RUN_SETTINGS`, checked and typed.

        :raises UserError: the stored value is not a number in range; names the parameter
        """
        default, low, high = RUN_SETTINGS[key]
        raw = self.env["ir.config_parameter"].sudo().get_param(PARAM_PREFIX + key)
        if raw in (None, False, ""):
            return default
        try:
            value = float(raw.strip())
        except ValueError:
            value = None
        if isinstance(default, int) and value is not None and not value.is_integer():
            value = None
        if value is None or not low <= value <= high:
            raise UserError(
                _(
                    "The setting %(param)s is %(value)r; it must be a number between %(low)s and %(high)s.",
                    param=PARAM_PREFIX + key,
                    value=raw,
                    low=_format_number(low),
                    high=_format_number(high),
                )
            )
        return type(default)(value)

    @api.model
    def _get_api_sync_brake(self):
        """When a run is held.

        :raises UserError: a setting of the brake is wrong
        """
        return BrakeSettings(
            zero_percent=self._get_api_sync_run_param("hold_zero_percent"),
            change_percent=self._get_api_sync_run_param("hold_change_percent"),
            min_products=self._get_api_sync_run_param("hold_min_products"),
        )
