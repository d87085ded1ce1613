"""Every setting of the synchronisation in one table, and what a ``sync-cli``
run makes of them (its command line and its environment).

Each setting is the system parameter ``stock_sync_api.<key>``. The table says
its type (that of its default), its default, its accepted range or choices,
and who may read it: it is the one place where these are written. A row also
carries its settings form field's label, help and digits, from which the
addon makes the field ``api_sync_<key>``. The addon's settings form, its
reader of the system parameters and :class:`SyncCliSettings` all check a
value with :meth:`Setting.problem`.
"""

import base64
import math
import os
import re
from dataclasses import dataclass, field

#: Prefix of the system parameters.
PARAM_PREFIX = "stock_sync_api."


@dataclass(frozen=True)
class Setting:
    """One ``stock_sync_api.<key>`` system parameter, and its field on the settings form."""

    key: str
    #: Its value when the parameter is unset; its type is the setting's type
    #: (``str``, ``int`` or ``float``), and that of its form field (a text,
    #: a whole number or a number; a choice when it has choices).
    default: object
    #: Accepted range of a number, both ends included.
    low: float | None = None
    high: float | None = None
    #: Accepted values of a choice, each with its label on the form:
    #: ``(value, label)`` pairs.
    choices: tuple = ()
    #: Only system administrators may read or set it: a secret, or a
    #: program or file of the server.
    admin_only: bool = False
    #: What a text must look like: ``pointer`` (a JSON pointer: empty, or
    #: starting with ``/``), ``path`` (starting with ``/``), ``name`` (a
    #: query parameter's name: not empty, no space, ``&``, ``=`` or ``#``),
    #: ``header`` (an HTTP header name that may carry the token, or empty),
    #: ``user`` (a user of HTTP Basic authentication: no colon, no control
    #: character) or ``endpoint`` (a path with ``{id}`` in it).
    rule: str | None = None
    #: A secret: its value is never repeated in a message.
    secret: bool = False
    #: An empty text is a value of its own, not "unset" (stored as one
    #: space, a system parameter cannot be empty).
    empty_allowed: bool = False
    #: The label and help of its field on the settings form (English: the
    #: addon translates them).
    label: str = ""
    help: str | None = None
    #: Digits of a number's field on the form (total, decimals).
    digits: tuple | None = None
    #: The form reads and writes it itself (:meth:`parse`, :meth:`store`)
    #: instead of as a ``config_parameter`` field, which stores 0 and empty
    #: as "unset": a setting whose 0 or empty is a value of its own must be.
    plain: bool = False

    def __post_init__(self):
        zero_is_a_value = self.kind in (int, float) and self.low <= 0 < self.default
        empty_is_a_value = self.empty_allowed and self.default != ""
        if (zero_is_a_value or empty_is_a_value) and not self.plain:
            raise ValueError(f"the setting {self.key}: 0 or empty is a value of its own, so it must be plain")

    @property
    def param(self):
        return PARAM_PREFIX + self.key

    @property
    def kind(self):
        return type(self.default)

    @property
    def values(self):
        """The accepted values of a choice."""
        return tuple(value for value, _label in self.choices)

    def problem(self, value):
        """Why ``value`` cannot be this setting's value, or None."""
        if self.choices:
            if value not in self.values:
                return f"must be one of {', '.join(self.values)}"
            return None
        if self.kind is str:
            if value == "" and self.empty_allowed:
                return None
            return _text_problem(self.rule, value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "must be a number"
        if self.kind is int and not float(value).is_integer():
            return f"must be a whole number between {format_number(self.low)} and {format_number(self.high)}"
        if not self.low <= value <= self.high:
            return f"must be between {format_number(self.low)} and {format_number(self.high)}"
        return None

    def parse(self, raw):
        """The typed value of the stored text ``raw`` (the default when unset).

        :raises ValueError: ``raw`` is not an acceptable value; the message
            names the parameter and says what it must be
        """
        if raw in (None, False) or raw == "":
            return self.default
        raw = str(raw)
        if not raw.strip():
            return "" if self.empty_allowed else self.default
        if self.kind is str:
            value = raw.strip()
        else:
            try:
                value = float(raw.strip())
            except ValueError:
                value = None
            if value is not None and self.kind is int and value.is_integer():
                value = int(value)
        problem = self.problem(value) if value is not None else "must be a number"
        if problem and self.secret:
            raise ValueError(f"the setting {self.param} {problem}")
        if problem:
            raise ValueError(f"the setting {self.param} is {raw!r}; it {problem}")
        return value

    def store(self, value):
        """The text that stores ``value`` in the system parameter (False: unset)."""
        if self.kind is str:
            return value if value else (" " if self.empty_allowed else False)
        return format_number(value)


def _text_problem(rule, value):
    if not isinstance(value, str):
        return "must be a text"
    if rule == "pointer" and value and not value.startswith("/"):
        return "must be a JSON pointer: empty, or starting with /"
    if rule == "path" and not value.startswith("/"):
        return "must be a path starting with /"
    if rule == "name" and (not value or any(char in value for char in " &=#?\t\n")):
        return "must be the name of a query parameter (no space, &, =, #, ?)"
    if rule == "header" and value:
        return header_name_problem(value)
    if rule == "user" and (":" in value or any(_is_control(char) for char in value)):
        return "must not contain a colon (:) or a control character"
    if rule == "endpoint" and "{id}" not in value:
        return "must contain {id}, where the external ID goes"
    return None


#: An HTTP header name (RFC 9110's ``token``).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

#: Headers that cannot carry the token: sync-cli sets them itself, or they
#: belong to the connection (sync-cli refuses them too).
RESERVED_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "user-agent",
    }
)


def header_name_problem(value):
    """Why ``value`` cannot be the name of the header that carries the token, or None."""
    if not _HEADER_NAME.fullmatch(value):
        return "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only, e.g. X-Shopify-Access-Token)"
    if value.lower() in RESERVED_HEADERS:
        return "cannot carry the token: sync-cli sets that header itself, or it belongs to the connection"
    return None


def _is_control(char):
    return ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0


def format_number(value):
    """A setting's number as a person writes it: ``10``, ``12.5``, ``100000000000000``."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.10g}"
    return str(int(value))


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

#: Upper bound, in seconds, of the pause ``sync-cli`` takes between retries.
_MAX_BACKOFF = 10.0

#: Environment variables that carry settings to ``sync-cli``; they are always
#: set (or removed) explicitly, never inherited from the Odoo process.
_SETTING_ENV = (
    "STOCK_API_URL",
    "STOCK_API_ENDPOINT",
    "STOCK_API_LISTING_ENDPOINT",
    "STOCK_API_TOKEN",
    "STOCK_API_AUTH",
    "STOCK_API_AUTH_HEADER",
    "STOCK_API_USER",
    "STOCK_API_CA_FILE",
)

#: The longest hold of a spent quota, in seconds (sync-cli's ``MAX_QUOTA_WAIT``).
MAX_QUOTA_HOLD = 60.0

#: A run's time limit allows one hold of a spent quota per this many
#: requests (and one more): for an API whose quota lets fewer requests
#: through a minute, the request-rate cap (``max_rps``) set to that quota
#: keeps the holds away, and the time limit allows for the cap in full.
REQUESTS_PER_QUOTA_HOLD = 50


@dataclass(frozen=True)
class SyncCliSettings:
    """What a ``sync-cli fetch`` run needs to know."""

    base_url: str
    cli_path: str = DEFAULTS["cli_path"]
    endpoint: str = ""
    token: str = field(default="", repr=False)
    #: How the token is sent: ``bearer``, ``header`` or ``basic``.
    auth: str = DEFAULTS["auth"]
    #: The header that carries the token (``auth`` ``header``).
    auth_header: str = ""
    #: The user of HTTP Basic authentication (``auth`` ``basic``): a secret.
    auth_user: str = field(default="", repr=False)
    timeout: int = DEFAULTS["timeout"]
    retries: int = DEFAULTS["retries"]
    concurrency: int = DEFAULTS["concurrency"]
    #: Largest quantity accepted from the API: a larger one is refused.
    max_quantity: float = DEFAULTS["max_quantity"]
    #: PEM file of CA certificates to trust besides the system's.
    ca_file: str = ""
    #: Most requests a second (0: no cap).
    max_rps: float = DEFAULTS["max_rps"]
    #: Seconds the whole run may take on top of its requests' own time limits.
    time_margin: float = 30.0
    #: Seconds of each hold of a spent quota that the time limit allows for
    #: (sync-cli's longest; shorter in tests).
    quota_hold: float = MAX_QUOTA_HOLD

    def __post_init__(self):
        if not self.base_url:
            raise ValueError("the stock API base URL is not set")
        if not self.cli_path:
            raise ValueError("the path to sync-cli is not set")
        for key, unit in (("timeout", " seconds"), ("retries", ""), ("concurrency", "")):
            problem = SETTINGS[key].problem(getattr(self, key))
            if problem:
                raise ValueError(f"{key} {problem}{unit}, not {getattr(self, key)}")
        problem = SETTINGS["max_quantity"].problem(self.max_quantity)
        if problem:
            raise ValueError(f"the largest quantity {problem}, not {self.max_quantity}")
        problem = SETTINGS["max_rps"].problem(self.max_rps)
        if problem:
            raise ValueError(f"the requests per second {problem}, not {self.max_rps}")
        self._check_auth()

    def _check_auth(self):
        """The credentials fit the way they are sent; a message never repeats the user or the token."""
        if SETTINGS["auth"].problem(self.auth):
            raise ValueError(f"the authentication {SETTINGS['auth'].problem(self.auth)}, not {self.auth!r}")
        if self.auth == "header":
            if not self.auth_header:
                raise ValueError("the authentication header needs the name of the header that carries the token")
            problem = header_name_problem(self.auth_header)
            if problem:
                raise ValueError(f"the authentication header {problem}, not {self.auth_header!r}")
        if self.auth == "basic":
            if not self.auth_user:
                raise ValueError("the HTTP Basic authentication needs the API user")
            problem = SETTINGS["auth_user"].problem(self.auth_user)
            if problem:
                raise ValueError(f"the API user {problem}")

    def argv(self):
        """The command line of ``sync-cli fetch``: settings that are no secret, never the URL or the token."""
        return [
            self.cli_path,
            "fetch",
            "--format",
            "jsonl",
            "--concurrency",
            str(self.concurrency),
            *self.http_argv(),
        ]

    def http_argv(self):
        """The options that ``fetch`` and ``list`` share."""
        argv = [
            "--timeout",
            str(self.timeout),
            "--retries",
            str(self.retries),
            "--max-quantity",
            _format_quantity(self.max_quantity),
        ]
        if self.max_rps:
            argv += ["--max-rps", format_number(self.max_rps)]
        return argv

    def env(self, base_env=None):
        """The environment of the run: the caller's, with the API settings set."""
        env = dict(os.environ if base_env is None else base_env)
        for name in _SETTING_ENV:
            env.pop(name, None)
        env["STOCK_API_URL"] = self.base_url
        if self.endpoint:
            env["STOCK_API_ENDPOINT"] = self.endpoint
        if self.token:
            env["STOCK_API_TOKEN"] = self.token
        # Never on the command line: the user is a secret, and the way the
        # token is sent goes with it.
        env["STOCK_API_AUTH"] = self.auth
        if self.auth == "header":
            env["STOCK_API_AUTH_HEADER"] = self.auth_header
        if self.auth == "basic":
            env["STOCK_API_USER"] = self.auth_user
        if self.ca_file:
            env["STOCK_API_CA_FILE"] = self.ca_file
        # Errors and warnings only: stderr ends up in Odoo's log and messages.
        env.setdefault("RUST_LOG", "warn")
        env["NO_COLOR"] = "1"
        return env

    def secrets(self):
        """Every secret of the run, to keep out of what is shown: the token,
        the user, and the base64 text of HTTP Basic authentication that
        carries them both."""
        if self.auth != "basic":
            return (self.token,) if self.token else ()
        encoded = base64.b64encode(f"{self.auth_user}:{self.token}".encode()).decode()
        return tuple(secret for secret in (self.token, self.auth_user, encoded) if secret)

    def run_timeout(self, count, concurrency=None):
        """Seconds a run of ``count`` requests may take before it is stopped.

        The requests run in waves of ``concurrency`` (default: the setting),
        each request taking at most :meth:`request_time_limit`; on top of
        that, each request may wait for its turn (:meth:`waiting_time`). A
        run that the request-rate cap or the API's quota slows down is slow
        by design: it is never stopped for it.
        """
        count = max(count, 1)
        waves = math.ceil(count / (concurrency or self.concurrency))
        return self.time_margin + waves * self.request_time_limit() + self.waiting_time(count)

    def request_time_limit(self):
        """Seconds one request may take in all: each attempt's time limit, and the pauses between attempts."""
        return (self.retries + 1) * self.timeout + self.retries * _MAX_BACKOFF

    def waiting_time(self, count):
        """Seconds that ``count`` requests may wait for their turn before
        they are sent: at most ``max_rps`` attempts a second (each may be
        tried ``retries + 1`` times), and the holds of a spent quota, up to
        ``quota_hold`` each, one per :data:`REQUESTS_PER_QUOTA_HOLD`
        requests and one more."""
        count = max(count, 1)
        paced = count * (self.retries + 1) / self.max_rps if self.max_rps else 0.0
        holds = 1 + math.ceil(count / REQUESTS_PER_QUOTA_HOLD)
        return paced + holds * self.quota_hold


def _format_quantity(value):
    """A quantity as sync-cli reads it: plain decimal digits, no exponent."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
