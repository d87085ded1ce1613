from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine.config import credentials_problem, form_problem
from ..synccli import SETTINGS

#: The path of the notification route (controllers/notify.py), shown with the server's address.
NOTIFY_ROUTE = "/stock_sync_api/notify"


def setting_field(setting):
    """The settings form's field of one row of the table :data:`..synccli.SETTINGS`.

    Its kind follows the row: a choice when it has choices, else the type of
    its default (a text, a whole number or a number). Its label, help, digits
    and default are the row's. It is stored as the system parameter, unless
    the row is plain: then :meth:`ResConfigSettings.get_values` and
    :meth:`ResConfigSettings.set_values` read and write it. An admin only
    row's field is for system administrators only.
    """
    attrs = {"string": setting.label, "help": setting.help}
    if setting.default != "":
        attrs["default"] = setting.default
    if not setting.plain:
        attrs["config_parameter"] = setting.param
    if setting.admin_only:
        attrs["groups"] = "base.group_system"
    if setting.choices:
        return fields.Selection(selection=list(setting.choices), **attrs)
    if setting.kind is str:
        return fields.Char(**attrs)
    if setting.kind is int:
        return fields.Integer(**attrs)
    return fields.Float(digits=setting.digits, **attrs)


#: The setting of each field of the form made from the table: ``api_sync_<key>``.
SETTING_FIELDS = {f"api_sync_{key}": setting for key, setting in SETTINGS.items()}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # A field for each row of the table, api_sync_<key> (see setting_field).
    locals().update({name: setting_field(setting) for name, setting in SETTING_FIELDS.items()})

    # The fields of the form that are not settings of the table.
    api_sync_notify_url = fields.Char(
        string="Notification URL",
        compute="_compute_api_sync_notify_url",
        groups="base.group_system",
        help="Where the stock API sends its notifications: this server's address followed by /stock_sync_api/notify.",
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

    def _compute_api_sync_notify_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for settings in self:
            settings.api_sync_notify_url = f"{base_url.rstrip('/')}{NOTIFY_ROUTE}"

    @api.constrains("api_sync_auth", "api_sync_auth_header", "api_sync_auth_user")
    def _check_api_sync_auth(self):
        for settings in self:
            auth, header, user = settings.api_sync_auth, settings.api_sync_auth_header, settings.api_sync_auth_user
            problem = credentials_problem(self.env, auth, header, user, on_form=True)
            if problem:
                raise ValidationError(problem)

    @api.constrains(*SETTING_FIELDS)
    def _check_api_sync_settings(self):
        for settings in self:
            for name, setting in SETTING_FIELDS.items():
                label = self._fields[name].get_description(self.env, ["string"])["string"]
                problem = form_problem(self.env, setting, settings[name], label)
                if problem:
                    raise ValidationError(problem)

    @api.model
    def get_values(self):
        res = super().get_values()
        params = self.env["ir.config_parameter"].sudo()
        for name, setting in SETTING_FIELDS.items():
            if not setting.plain:
                continue
            try:
                res[name] = setting.parse(params.get_param(setting.param))
            except ValueError:
                # A wrong value is shown as the default; saving the form repairs it.
                res[name] = setting.default
        return res

    def set_values(self):
        super().set_values()
        params = self.env["ir.config_parameter"].sudo()
        for name, setting in SETTING_FIELDS.items():
            if setting.plain:
                params.set_param(setting.param, setting.store(self[name]))
        # The rounds of changes read the listing: their scheduled action runs in listing mode only.
        changes = self.env.ref("stock_sync_api.ir_cron_api_sync_changes", raise_if_not_found=False)
        if changes:
            changes.sudo().active = self.api_sync_fetch_mode == "listing"

    def action_api_sync_preview_all(self):
        """Preview a synchronisation of the whole catalog: nothing is applied."""
        products = self.env["product.product"].search([("api_external_id", "!=", False)])
        return products.action_api_sync_preview()

    def action_open_api_sync_cron(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "ir.cron",
            "res_id": self.env.ref("stock_sync_api.ir_cron_api_sync").id,
            "view_mode": "form",
            "target": "current",
        }
