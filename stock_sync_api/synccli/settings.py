"""Every setting of the synchronisation in one table, and what a ``sync-cli``
run makes of them (its command line and its environment).

Each setting is the system parameter ``stock_sync_api.<key>``. The table says
its type (that of its default), its default, its accepted range or choices,
and who may read it: it is the one place where these are written. The addon's
settings form, its reader of the system parameters and :class:`SyncCliSettings`
all check a value with :meth:`Setting.problem`.
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
    """One ``stock_sync_api.<key>`` system parameter."""

    key: str
    #: Its value when the parameter is unset; its type is the setting's type
    #: (``str``, ``int`` or ``float``).
    default: object
    #: Accepted range of a number, both ends included.
    low: float | None = None
    high: float | None = None
    #: Accepted values of a choice.
    choices: tuple = ()
    #: Only system administrators may read or set it: a secret, or a
    #: program or file of the server.
    admin_only: bool = False
    #: What a text must look like: ``pointer`` (a JSON pointer: empty, or
    #: starting with ``/``), ``path`` (starting with ``/``), ``name`` (a
    #: query parameter's name: not empty, no space, ``&``, ``=`` or ``#``),
    #: ``header`` (an HTTP header name that may carry the token, or empty)
    #: or ``user`` (a user of HTTP Basic authentication: no colon, no
    #: control character).
    rule: str | None = None
    #: A secret: its value is never repeated in a message.
    secret: bool = False
    #: An empty text is a value of its own, not "unset" (stored as one
    #: space, a system parameter cannot be empty).
    empty_allowed: bool = False

    @property
    def param(self):
        return PARAM_PREFIX + self.key

    @property
    def kind(self):
        return type(self.default)

    def problem(self, value):
        """Why ``value`` cannot be this setting's value, or None."""
        if self.choices:
            if value not in self.choices:
                return f"must be one of {', '.join(self.choices)}"
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
        Setting("base_url", ""),
        # Empty: the API has no per-product endpoint (listing mode only).
        Setting("endpoint", "/api/stock/{id}", empty_allowed=True),
        Setting("token", "", admin_only=True, secret=True),
        # How the token is sent: bearer (Authorization: Bearer <token>),
        # header (the header auth_header, the token as given) or basic
        # (Authorization: Basic base64(<auth_user>:<token>)).
        Setting("auth", "bearer", choices=("bearer", "header", "basic"), admin_only=True),
        Setting("auth_header", "", admin_only=True, rule="header"),
        Setting("auth_user", "", admin_only=True, rule="user", secret=True),
        Setting("timeout", 10, 1, 3600),
        Setting("retries", 2, 0, 10),
        Setting("concurrency", 32, 1, 256),
        Setting("max_quantity", 1e9, 1.0, 1e14),
        Setting("cli_path", "sync-cli", admin_only=True),
        Setting("ca_file", "", admin_only=True),
        Setting("max_rps", 0.0, 0.0, 10000.0),
        # How the addon runs it.
        Setting("batch_size", 1000, 1, 10000),
        # How to ask the API: one request per product, or its listing.
        Setting("fetch_mode", "per_product", choices=("per_product", "listing")),
        Setting("listing_endpoint", "/api/stock", rule="path"),
        Setting("listing_paging", "cursor", choices=("cursor", "link", "page", "offset")),
        Setting("listing_page_size", 500, 1, 10000),
        Setting("listing_page_size_param", "limit", rule="name"),
        Setting("listing_records_path", "/items", rule="pointer", empty_allowed=True),
        Setting("listing_id_field", "/product_id", rule="pointer"),
        Setting("listing_quantity_field", "/quantity", rule="pointer"),
        # An API that lists one record per item and location: the JSON
        # pointer to the location's code in a record (sync-cli's
        # --location-field). Empty: a record is an item's whole stock.
        Setting("listing_location_field", "", rule="pointer", empty_allowed=True),
        Setting("listing_cursor_param", "cursor", rule="name"),
        Setting("listing_cursor_field", "/next_cursor", rule="pointer"),
        Setting("listing_page_param", "page", rule="name"),
        Setting("listing_offset_param", "offset", rule="name"),
        Setting("listing_since_param", "updated_since", rule="name"),
        # What the listing may be: a larger page, or more pages, end it
        # incomplete (sync-cli's --max-body-bytes and --max-pages, and their
        # defaults).
        Setting("listing_max_page_bytes", 1024 * 1024, 1024, 256 * 1024 * 1024),
        Setting("listing_max_pages", 100_000, 1, 10_000_000),
        # Asking the listing for a few products only (a click, a preview, a
        # notified run): the query parameter that takes their IDs
        # comma-separated (sync-cli's --ids-param; empty: the API has none),
        # and how many IDs a request may carry.
        Setting("listing_ids_param", "", rule="name", empty_allowed=True),
        Setting("listing_ids_per_request", 50, 1, 1000),
        # The brake, and how long runs are kept.
        Setting("hold_zero_percent", 10.0, 0.0, 100.0),
        Setting("hold_change_percent", 50.0, 0.0, 100.0),
        Setting("hold_min_products", 20, 0, 1_000_000),
        Setting("run_retention_days", 90, 1, 36500),
        # Notifications from the stock API (POST /stock_sync_api/notify): the
        # shared secret of their signatures; several, separated by
        # whitespace, while it is rotated. Empty: notifications are refused.
        Setting("notify_secret", "", admin_only=True, secret=True),
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
