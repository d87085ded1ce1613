from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine.config import describe_text_problem
from ..synccli import DEFAULTS, SETTINGS, format_number

#: The settings that are not ``config_parameter`` fields (those store 0 as
#: unset, and 0 is a valid value of these): read and written by
#: :meth:`ResConfigSettings.get_values` and :meth:`ResConfigSettings.set_values`.
PLAIN_SETTINGS = (
    "retries",
    "max_rps",
    "hold_zero_percent",
    "hold_change_percent",
    "hold_min_products",
    "run_retention_days",
    # Empty is a value of its own (a listing that is an array of records;
    # an API without a per-product endpoint).
    "listing_records_path",
    "endpoint",
)

#: The path of the notification route (controllers/notify.py), shown with the server's address.
NOTIFY_ROUTE = "/stock_sync_api/notify"

#: The text settings of the form with a rule of their own (a path, a JSON pointer, a parameter's name).
TEXT_SETTINGS = tuple(key for key, setting in SETTINGS.items() if setting.rule)

#: The number settings of the form, each checked against its range in the table.
NUMBER_SETTINGS = (
    "timeout",
    "retries",
    "concurrency",
    "batch_size",
    "max_quantity",
    "max_rps",
    "listing_page_size",
    "listing_max_page_bytes",
    "listing_max_pages",
    "listing_ids_per_request",
    "hold_zero_percent",
    "hold_change_percent",
    "hold_min_products",
    "run_retention_days",
)


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
        default=DEFAULTS["endpoint"],
        help="Path of a product's stock, appended to the URL; {id} stands for the external ID. In listing "
        "mode, a click, a preview or a notified run asks it for their products only; empty when the API has none.",
    )
    api_sync_token = fields.Char(
        string="API Token",
        config_parameter="stock_sync_api.token",
        groups="base.group_system",
        help="Sent as the authentication says (a Bearer token by default) when set; with HTTP Basic, the password "
        "(it may be empty). It is passed to sync-cli in its environment, never on its command line.",
    )
    api_sync_auth = fields.Selection(
        selection=[
            ("bearer", "Bearer token"),
            ("header", "Token in a header of its own"),
            ("basic", "HTTP Basic (user and token)"),
        ],
        string="Authentication",
        config_parameter="stock_sync_api.auth",
        default=DEFAULTS["auth"],
        groups="base.group_system",
        help="How the token is sent. Bearer token: Authorization: Bearer <token>. Token in a header of its own: "
        "the header named below, with the token as given (e.g. Shopify's X-Shopify-Access-Token). HTTP Basic: "
        "Authorization: Basic with the API user and the token as password (e.g. WooCommerce's consumer key "
        "and secret).",
    )
    api_sync_auth_header = fields.Char(
        string="Token Header",
        config_parameter="stock_sync_api.auth_header",
        groups="base.group_system",
        help="The HTTP header that carries the token, e.g. X-Shopify-Access-Token, or Authorization for an API "
        "that wants Authorization: token key:secret (then the token is token key:secret).",
    )
    api_sync_auth_user = fields.Char(
        string="API User",
        config_parameter="stock_sync_api.auth_user",
        groups="base.group_system",
        help="The user of HTTP Basic authentication (an API key for some APIs; no colon). Kept as secret as the "
        "token: passed to sync-cli in its environment, never shown in a message or a log.",
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
    api_sync_notify_secret = fields.Char(
        string="Notification Secret",
        config_parameter="stock_sync_api.notify_secret",
        groups="base.group_system",
        help="The secret shared with the stock API, which signs its notifications of changed products with it "
        "(POST /stock_sync_api/notify on this server): the products it names are synchronised within seconds. "
        "Empty: notifications are refused. To change it without missing a notification, put the new secret "
        "after the old one, separated by a space (either is accepted), switch the stock API to the new one, "
        "then remove the old one.",
    )
    api_sync_notify_url = fields.Char(
        string="Notification URL",
        compute="_compute_api_sync_notify_url",
        groups="base.group_system",
        help="Where the stock API sends its notifications: this server's address followed by /stock_sync_api/notify.",
    )

    # Not config_parameter fields: those store 0 as "unset", and 0 is a valid threshold.
    api_sync_hold_zero_percent = fields.Float(
        string="Hold When Dropping to Zero (%)",
        default=DEFAULTS["hold_zero_percent"],
        digits=(5, 2),
        help="A run is held, and applies nothing more, when more than this share of the products it has "
        "compared would drop from positive stock to zero.",
    )
    api_sync_hold_change_percent = fields.Float(
        string="Hold When Changing (%)",
        default=DEFAULTS["hold_change_percent"],
        digits=(5, 2),
        help="A run is held, and applies nothing more, when more than this share of the products it has "
        "compared would change at all.",
    )
    api_sync_hold_min_products = fields.Integer(
        string="Hold Only From (Products)",
        default=DEFAULTS["hold_min_products"],
        help="Runs that compare fewer products than this are never held: a click on one product never is.",
    )
    api_sync_run_retention_days = fields.Integer(
        string="Keep Synchronisations (Days)",
        default=DEFAULTS["run_retention_days"],
        help="Synchronisation runs older than this are deleted; the inventory moves they made stay.",
    )
    api_sync_fetch_mode = fields.Selection(
        selection=[("per_product", "One request per product"), ("listing", "The listing")],
        string="How to Ask the API",
        config_parameter="stock_sync_api.fetch_mode",
        default=DEFAULTS["fetch_mode"],
        help="One request per product: the endpoint above, asked for each product. The listing: the API's "
        "listing of every product, read page by page (a few requests for the whole catalog); every 5 minutes, "
        "a round of changes then asks only for what changed since the last complete listing.",
    )
    api_sync_max_rps = fields.Float(
        string="Requests per Second",
        default=DEFAULTS["max_rps"],
        digits=(16, 2),
        help="Most requests a second sent to the stock API, whatever the concurrency (0: no cap). An answer "
        "saying the API's quota is spent holds every request until the quota's reset.",
    )
    api_sync_listing_endpoint = fields.Char(
        string="Listing Path",
        config_parameter="stock_sync_api.listing_endpoint",
        default=DEFAULTS["listing_endpoint"],
        help="Path of the listing, appended to the URL (a query may follow, e.g. /items?location=1).",
    )
    api_sync_listing_paging = fields.Selection(
        selection=[
            ("cursor", "Cursor in the page"),
            ("link", "Link header"),
            ("page", "Page numbers"),
            ("offset", "Offsets"),
        ],
        string="Paging",
        config_parameter="stock_sync_api.listing_paging",
        default=DEFAULTS["listing_paging"],
        help="How the next page is found: a cursor in the page (sent back as the cursor parameter), the Link "
        "header's rel=next, page numbers 1, 2, ... or offsets 0, N, 2N, ... (these two read until a page "
        "has no record).",
    )
    api_sync_listing_page_size = fields.Integer(
        string="Page Size",
        config_parameter="stock_sync_api.listing_page_size",
        default=DEFAULTS["listing_page_size"],
        help="Records asked for per page (the API may serve fewer).",
    )
    api_sync_listing_page_size_param = fields.Char(
        string="Page Size Parameter",
        config_parameter="stock_sync_api.listing_page_size_param",
        default=DEFAULTS["listing_page_size_param"],
    )
    api_sync_listing_records_path = fields.Char(
        string="Records At",
        default=DEFAULTS["listing_records_path"],
        help="JSON pointer to the array of records in a page, e.g. /items; empty for a page that is the array itself.",
    )
    api_sync_listing_id_field = fields.Char(
        string="External ID At",
        config_parameter="stock_sync_api.listing_id_field",
        default=DEFAULTS["listing_id_field"],
        help="JSON pointer to the external ID in a record, e.g. /product_id or /sku.",
    )
    api_sync_listing_quantity_field = fields.Char(
        string="Quantity At",
        config_parameter="stock_sync_api.listing_quantity_field",
        default=DEFAULTS["listing_quantity_field"],
        help="JSON pointer to the quantity in a record, e.g. /quantity or /stock_quantity.",
    )
    api_sync_listing_location_field = fields.Char(
        string="Location At",
        config_parameter="stock_sync_api.listing_location_field",
        help="For an API that lists one record per product and location (Shopify's inventory levels): JSON "
        "pointer to the location's code in a record, e.g. /location_id. A product's records add up by location, "
        "mapped in Inventory > Configuration > API Locations. Empty: a record is a product's whole stock.",
    )
    api_sync_listing_cursor_param = fields.Char(
        string="Cursor Parameter",
        config_parameter="stock_sync_api.listing_cursor_param",
        default=DEFAULTS["listing_cursor_param"],
    )
    api_sync_listing_cursor_field = fields.Char(
        string="Cursor At",
        config_parameter="stock_sync_api.listing_cursor_field",
        default=DEFAULTS["listing_cursor_field"],
        help="JSON pointer to the next page's cursor in a page; null or absent ends the listing.",
    )
    api_sync_listing_page_param = fields.Char(
        string="Page Parameter",
        config_parameter="stock_sync_api.listing_page_param",
        default=DEFAULTS["listing_page_param"],
    )
    api_sync_listing_offset_param = fields.Char(
        string="Offset Parameter",
        config_parameter="stock_sync_api.listing_offset_param",
        default=DEFAULTS["listing_offset_param"],
    )
    api_sync_listing_max_page_bytes = fields.Integer(
        string="Largest Page (Bytes)",
        config_parameter="stock_sync_api.listing_max_page_bytes",
        default=DEFAULTS["listing_max_page_bytes"],
        help="A listing page larger than this ends the listing as incomplete, and nothing is applied: raise it, "
        "or lower the page size.",
    )
    api_sync_listing_max_pages = fields.Integer(
        string="Most Pages",
        config_parameter="stock_sync_api.listing_max_pages",
        default=DEFAULTS["listing_max_pages"],
        help="A listing of more pages than this ends as incomplete, and nothing is applied.",
    )
    api_sync_listing_since_param = fields.Char(
        string="Changed Since Parameter",
        config_parameter="stock_sync_api.listing_since_param",
        default=DEFAULTS["listing_since_param"],
        help="Query parameter of the time (RFC 3339, the API's clock) a round of changes asks since.",
    )
    api_sync_listing_ids_param = fields.Char(
        string="IDs Parameter",
        config_parameter="stock_sync_api.listing_ids_param",
        help="Query parameter of the listing that takes some external IDs, comma-separated (e.g. include for "
        "WooCommerce, inventory_item_ids for Shopify): a click, a preview or a notified run then asks the listing "
        "for their products only. Empty: they ask the endpoint of one product, or read the whole listing.",
    )
    api_sync_listing_ids_per_request = fields.Integer(
        string="IDs per Request",
        config_parameter="stock_sync_api.listing_ids_per_request",
        default=DEFAULTS["listing_ids_per_request"],
        help="Most external IDs in one request of the IDs parameter.",
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

    @api.constrains(*(f"api_sync_{key}" for key in NUMBER_SETTINGS))
    def _check_api_sync_numbers(self):
        for settings in self:
            for key in NUMBER_SETTINGS:
                value = settings[f"api_sync_{key}"]
                if SETTINGS[key].problem(value):
                    raise ValidationError(self._get_api_sync_range_error(key, value))

    def _get_api_sync_range_error(self, key, value):
        setting = SETTINGS[key]
        if key == "max_quantity":
            return _(
                "The largest quantity must be between %(low)s and %(high)s.",
                low=format_number(setting.low),
                high=format_number(setting.high),
            )
        return _(
            "%(setting)s must be between %(low)s and %(high)s, not %(value)s.",
            setting=self._fields[f"api_sync_{key}"].get_description(self.env)["string"],
            low=format_number(setting.low),
            high=format_number(setting.high),
            value=format_number(value),
        )

    @api.constrains(*(f"api_sync_{key}" for key in TEXT_SETTINGS))
    def _check_api_sync_texts(self):
        for settings in self:
            for key in TEXT_SETTINGS:
                value = settings[f"api_sync_{key}"] or ""
                if SETTINGS[key].rule == "pointer" and not value and not SETTINGS[key].empty_allowed:
                    value = SETTINGS[key].default
                elif not value:
                    continue
                if SETTINGS[key].problem(value):
                    label = self._fields[f"api_sync_{key}"].get_description(self.env)["string"]
                    raise ValidationError(describe_text_problem(self.env, label, SETTINGS[key].rule, value))

    @api.constrains("api_sync_auth", "api_sync_auth_header", "api_sync_auth_user")
    def _check_api_sync_auth(self):
        for settings in self:
            if settings.api_sync_auth == "header" and not settings.api_sync_auth_header:
                raise ValidationError(
                    _("The token is sent in a header of its own: give that header's name in Token Header.")
                )
            if settings.api_sync_auth == "basic" and not settings.api_sync_auth_user:
                raise ValidationError(_("HTTP Basic authentication needs the API User."))

    @api.constrains("api_sync_endpoint")
    def _check_api_sync_endpoint(self):
        for settings in self:
            if settings.api_sync_endpoint and "{id}" not in settings.api_sync_endpoint:
                raise ValidationError(_("The endpoint must contain {id}, where the external ID goes."))

    @api.model
    def get_values(self):
        res = super().get_values()
        params = self.env["ir.config_parameter"].sudo()
        for key in PLAIN_SETTINGS:
            try:
                res[f"api_sync_{key}"] = SETTINGS[key].parse(params.get_param(SETTINGS[key].param))
            except ValueError:
                # A wrong value is shown as the default; saving the form repairs it.
                res[f"api_sync_{key}"] = DEFAULTS[key]
        return res

    def set_values(self):
        super().set_values()
        params = self.env["ir.config_parameter"].sudo()
        for key in PLAIN_SETTINGS:
            params.set_param(SETTINGS[key].param, SETTINGS[key].store(self[f"api_sync_{key}"]))
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
