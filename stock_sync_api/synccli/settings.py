"""Every setting of the synchronisation in one table.

Each setting is the system parameter ``stock_sync_api.<key>``. The table says
its type (that of its default), its default, its accepted range or choices,
and who may read it: it is the one place where these are written. A row also
carries its settings form field's label, help and digits, from which the
addon makes the field ``api_sync_<key>``. The addon's settings form, its
reader of the system parameters and :class:`~.cli_settings.SyncCliSettings`
all check a value with :meth:`~.setting.Setting.problem`.
"""

from .setting import Setting

#: Every setting of the synchronisation, ``stock_sync_api.<key>``.
#:
#: The whole-number ranges are within what ``sync-cli`` itself accepts
#: (``--timeout`` up to 86400 s, ``--retries`` up to 20, ``--concurrency`` up
#: to 1024); the largest quantity's is ``sync-cli``'s own
#: (``MAX_QUANTITY_FLOOR`` and ``MAX_QUANTITY_CEILING`` in
#: ``sync-cli/src/validate.rs``). The brake's defaults let a normal hourly run
#: through (a tenth of the catalog changing, a few products sold out) and hold
#: the disasters (every product to zero, a stale snapshot rewriting most of
#: the stock).
SETTINGS = {
    setting.key: setting
    for setting in (
        # Where the API is and how to ask it.
        Setting(
            "base_url",
            "",
            label="Stock API URL",
            help="Base URL of the stock API, e.g. https://stock.example.com. "
            "When empty, the STOCK_API_URL environment variable of the Odoo server is used.",
        ),
        # Empty: the API has no per-product endpoint (listing mode only).
        Setting(
            "endpoint",
            "/api/stock/{id}",
            rule="endpoint",
            empty_allowed=True,
            plain=True,
            label="Endpoint",
            help="Path of a product's stock, appended to the URL; {id} stands for the external ID. In listing "
            "mode, a click, a preview or a notified run asks it for their products only; empty when the API has "
            "none.",
        ),
        Setting(
            "token",
            "",
            admin_only=True,
            secret=True,
            label="API Token",
            help="Sent as the authentication says (a Bearer token by default) when set; with HTTP Basic, the "
            "password (it may be empty). It is passed to sync-cli in its environment, never on its command line.",
        ),
        # How the token is sent: bearer (Authorization: Bearer <token>),
        # header (the header auth_header, the token as given) or basic
        # (Authorization: Basic base64(<auth_user>:<token>)).
        Setting(
            "auth",
            "bearer",
            choices=(
                ("bearer", "Bearer token"),
                ("header", "Token in a header of its own"),
                ("basic", "HTTP Basic (user and token)"),
            ),
            admin_only=True,
            label="Authentication",
            help="How the token is sent. Bearer token: Authorization: Bearer <token>. Token in a header of its own: "
            "the header named below, with the token as given (e.g. Shopify's X-Shopify-Access-Token). HTTP Basic: "
            "Authorization: Basic with the API user and the token as password (e.g. WooCommerce's consumer key "
            "and secret).",
        ),
        Setting(
            "auth_header",
            "",
            admin_only=True,
            rule="header",
            label="Token Header",
            help="The HTTP header that carries the token, e.g. X-Shopify-Access-Token, or Authorization for an API "
            "that wants Authorization: token key:secret (then the token is token key:secret).",
        ),
        Setting(
            "auth_user",
            "",
            admin_only=True,
            rule="user",
            secret=True,
            label="API User",
            help="The user of HTTP Basic authentication (an API key for some APIs; no colon). Kept as secret as the "
            "token: passed to sync-cli in its environment, never shown in a message or a log.",
        ),
        Setting(
            "timeout", 10, 1, 3600, label="Timeout (seconds)", help="Longest wait for one answer of the stock API."
        ),
        Setting(
            "retries",
            2,
            0,
            10,
            plain=True,
            label="Retries",
            help="How many times a request that failed for a passing reason (connection, timeout, 5xx, 429) "
            "is tried again.",
        ),
        Setting(
            "concurrency",
            32,
            1,
            256,
            label="Concurrent Requests",
            help="How many requests sync-cli sends to the stock API at once.",
        ),
        Setting(
            "max_quantity",
            1e9,
            1.0,
            1e14,
            digits=(16, 0),
            label="Largest Quantity",
            help="A sanity bound: a quantity above it from the stock API is refused as invalid, never applied.",
        ),
        Setting(
            "cli_path",
            "sync-cli",
            admin_only=True,
            label="sync-cli Path",
            help="The sync-cli program the Odoo server runs: a name found on the server's PATH, or an absolute path.",
        ),
        Setting(
            "ca_file",
            "",
            admin_only=True,
            label="CA Certificates File",
            help="Path on the Odoo server of a PEM file of CA certificates to trust besides the system's, "
            "for a stock API whose certificate comes from a private CA. Certificates are always verified.",
        ),
        Setting(
            "max_rps",
            0.0,
            0.0,
            10000.0,
            digits=(16, 2),
            plain=True,
            label="Requests per Second",
            help="Most requests a second sent to the stock API, whatever the concurrency (0: no cap). An answer "
            "saying the API's quota is spent holds every request until the quota's reset.",
        ),
        # How the addon runs it.
        Setting(
            "batch_size",
            1000,
            1,
            10000,
            label="Batch Size",
            help="How many products one sync-cli run handles; the scheduled action commits after each batch.",
        ),
        # How to ask the API: one request per product, or its listing.
        Setting(
            "fetch_mode",
            "per_product",
            choices=(("per_product", "One request per product"), ("listing", "The listing")),
            label="How to Ask the API",
            help="One request per product: the endpoint above, asked for each product. The listing: the API's "
            "listing of every product, read page by page (a few requests for the whole catalog); every 5 minutes, "
            "a round of changes then asks only for what changed since the last complete listing.",
        ),
        Setting(
            "listing_endpoint",
            "/api/stock",
            rule="path",
            label="Listing Path",
            help="Path of the listing, appended to the URL (a query may follow, e.g. /items?location=1).",
        ),
        Setting(
            "listing_paging",
            "cursor",
            choices=(
                ("cursor", "Cursor in the page"),
                ("link", "Link header"),
                ("page", "Page numbers"),
                ("offset", "Offsets"),
            ),
            label="Paging",
            help="How the next page is found: a cursor in the page (sent back as the cursor parameter), the Link "
            "header's rel=next, page numbers 1, 2, ... or offsets 0, N, 2N, ... (these two read until a page "
            "has no record).",
        ),
        Setting(
            "listing_page_size",
            500,
            1,
            10000,
            label="Page Size",
            help="Records asked for per page (the API may serve fewer).",
        ),
        Setting("listing_page_size_param", "limit", rule="name", label="Page Size Parameter"),
        Setting(
            "listing_records_path",
            "/items",
            rule="pointer",
            empty_allowed=True,
            plain=True,
            label="Records At",
            help="JSON pointer to the array of records in a page, e.g. /items; empty for a page that is the array "
            "itself.",
        ),
        Setting(
            "listing_id_field",
            "/product_id",
            rule="pointer",
            label="External ID At",
            help="JSON pointer to the external ID in a record, e.g. /product_id or /sku.",
        ),
        Setting(
            "listing_quantity_field",
            "/quantity",
            rule="pointer",
            label="Quantity At",
            help="JSON pointer to the quantity in a record, e.g. /quantity or /stock_quantity.",
        ),
        # An API that lists one record per item and location: the JSON
        # pointer to the location's code in a record (sync-cli's
        # --location-field). Empty: a record is an item's whole stock.
        Setting(
            "listing_location_field",
            "",
            rule="pointer",
            empty_allowed=True,
            label="Location At",
            help="For an API that lists one record per product and location (Shopify's inventory levels): JSON "
            "pointer to the location's code in a record, e.g. /location_id. A product's records add up by "
            "location, mapped in Inventory > Configuration > API Locations. Empty: a record is a product's whole "
            "stock.",
        ),
        Setting("listing_cursor_param", "cursor", rule="name", label="Cursor Parameter"),
        Setting(
            "listing_cursor_field",
            "/next_cursor",
            rule="pointer",
            label="Cursor At",
            help="JSON pointer to the next page's cursor in a page; null or absent ends the listing.",
        ),
        Setting("listing_page_param", "page", rule="name", label="Page Parameter"),
        Setting("listing_offset_param", "offset", rule="name", label="Offset Parameter"),
        Setting(
            "listing_since_param",
            "updated_since",
            rule="name",
            label="Changed Since Parameter",
            help="Query parameter of the time (RFC 3339, the API's clock) a round of changes asks since.",
        ),
        # What the listing may be: a larger page, or more pages, end it
        # incomplete (sync-cli's --max-body-bytes and --max-pages, and their
        # defaults).
        Setting(
            "listing_max_page_bytes",
            1024 * 1024,
            1024,
            256 * 1024 * 1024,
            label="Largest Page (Bytes)",
            help="A listing page larger than this ends the listing as incomplete, and nothing is applied: raise "
            "it, or lower the page size.",
        ),
        Setting(
            "listing_max_pages",
            100_000,
            1,
            10_000_000,
            label="Most Pages",
            help="A listing of more pages than this ends as incomplete, and nothing is applied.",
        ),
        # Asking the listing for a few products only (a click, a preview, a
        # notified run): the query parameter that takes their IDs
        # comma-separated (sync-cli's --ids-param; empty: the API has none),
        # and how many IDs a request may carry.
        Setting(
            "listing_ids_param",
            "",
            rule="name",
            empty_allowed=True,
            label="IDs Parameter",
            help="Query parameter of the listing that takes some external IDs, comma-separated (e.g. include for "
            "WooCommerce, inventory_item_ids for Shopify): a click, a preview or a notified run then asks the "
            "listing for their products only. Empty: they ask the endpoint of one product, or read the whole "
            "listing.",
        ),
        Setting(
            "listing_ids_per_request",
            50,
            1,
            1000,
            label="IDs per Request",
            help="Most external IDs in one request of the IDs parameter.",
        ),
        # The brake, and how long runs are kept.
        Setting(
            "hold_zero_percent",
            10.0,
            0.0,
            100.0,
            digits=(5, 2),
            plain=True,
            label="Hold When Dropping to Zero (%)",
            help="A run is held, and applies nothing more, when more than this share of the products it has "
            "compared would drop from positive stock to zero.",
        ),
        Setting(
            "hold_change_percent",
            50.0,
            0.0,
            100.0,
            digits=(5, 2),
            plain=True,
            label="Hold When Changing (%)",
            help="A run is held, and applies nothing more, when more than this share of the products it has "
            "compared would change at all.",
        ),
        Setting(
            "hold_min_products",
            20,
            0,
            1_000_000,
            plain=True,
            label="Hold Only From (Products)",
            help="Runs that compare fewer products than this are never held: a click on one product never is.",
        ),
        # Plain: a wrong stored value shows as the default on the form.
        Setting(
            "run_retention_days",
            90,
            1,
            36500,
            plain=True,
            label="Keep Synchronisations (Days)",
            help="Synchronisation runs older than this are deleted; the inventory moves they made stay.",
        ),
        # Notifications from the stock API (POST /stock_sync_api/notify): the
        # shared secret of their signatures; several, separated by
        # whitespace, while it is rotated. Empty: notifications are refused.
        Setting(
            "notify_secret",
            "",
            admin_only=True,
            secret=True,
            label="Notification Secret",
            help="The secret shared with the stock API, which signs its notifications of changed products with it "
            "(POST /stock_sync_api/notify on this server): the products it names are synchronised within seconds. "
            "Empty: notifications are refused. To change it without missing a notification, put the new secret "
            "after the old one, separated by a space (either is accepted), switch the stock API to the new one, "
            "then remove the old one.",
        ),
    )
}

#: Default of each setting.
DEFAULTS = {key: setting.default for key, setting in SETTINGS.items()}

#: Accepted range of each whole-number setting that ``sync-cli`` or a batch uses.
RANGES = {key: (SETTINGS[key].low, SETTINGS[key].high) for key in ("timeout", "retries", "concurrency", "batch_size")}

#: Accepted range of the largest quantity (``--max-quantity``).
MAX_QUANTITY_RANGE = (SETTINGS["max_quantity"].low, SETTINGS["max_quantity"].high)
