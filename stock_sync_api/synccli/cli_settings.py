"""What a ``sync-cli`` run makes of the settings: its command line and its
environment (:class:`SyncCliSettings`), each value checked by the table
(:mod:`.settings`).
"""

import base64
import math
import os
from dataclasses import dataclass, field

from .setting import format_number, header_name_problem
from .settings import DEFAULTS, SETTINGS

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
