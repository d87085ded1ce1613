import os

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..synccli import SyncCliSettings

PARAM_PREFIX = "stock_sync_api."

#: Default of each system parameter ``stock_sync_api.<key>``.
DEFAULTS = {
    "base_url": "",
    "endpoint": "/api/stock/{id}",
    "token": "",
    "timeout": 10,
    "retries": 2,
    "concurrency": 32,
    "batch_size": 1000,
    "cli_path": "sync-cli",
    "max_quantity": 1e9,
    "ca_file": "",
}

#: Accepted range of each whole-number setting.
RANGES = {
    "timeout": (1, 3600),
    "retries": (0, 10),
    "concurrency": (1, 256),
    "batch_size": (1, 10000),
}

#: Accepted range of the quantity bound (sync-cli's own limit is 1e15).
MAX_QUANTITY_RANGE = (1.0, 1e15)

#: Used as the base URL when its setting is empty (e.g. set by a container).
BASE_URL_ENV = "STOCK_API_URL"


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
        help="How many times a request that failed for a passing reason (connection, timeout, 5xx, 429) is tried again.",
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

    @api.constrains("api_sync_max_quantity")
    def _check_api_sync_max_quantity(self):
        low, high = MAX_QUANTITY_RANGE
        for settings in self:
            if not low <= settings.api_sync_max_quantity <= high:
                raise ValidationError(
                    _("The largest quantity must be between %(low)s and %(high)s.", low=f"{low:.0f}", high=f"{high:.0f}")
                )

    @api.constrains("api_sync_timeout", "api_sync_retries", "api_sync_concurrency", "api_sync_batch_size")
    def _check_api_sync_numbers(self):
        for settings in self:
            for key, (low, high) in RANGES.items():
                value = settings[f"api_sync_{key}"]
                if not low <= value <= high:
                    raise ValidationError(
                        _(
                            "%(setting)s must be between %(low)s and %(high)s, not %(value)s.",
                            setting=self._fields[f"api_sync_{key}"].get_description(self.env)["string"],
                            low=low,
                            high=high,
                            value=value,
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
        return res

    def set_values(self):
        super().set_values()
        self.env["ir.config_parameter"].sudo().set_param(PARAM_PREFIX + "retries", str(self.api_sync_retries))

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
                _("The stock API URL %(url)r must start with http:// or https://.", url=base_url)
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
