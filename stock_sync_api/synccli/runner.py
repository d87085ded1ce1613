"""Run ``sync-cli fetch`` for a batch of external IDs and read its answers.

This module does not import Odoo: it only knows the command-line contract of
``sync-cli`` (IDs on stdin, settings and token in the environment, one JSON
line per ID on stdout, in input order) so that it can be tested on its own.
"""

import dataclasses
import json
import logging
import math
import os
import subprocess
import threading
import unicodedata
from dataclasses import dataclass, field

_logger = logging.getLogger(__name__)

#: Statuses that ``sync-cli`` prints, as documented in its contract.
API_STATUSES = frozenset(
    {
        "ok",
        "not_found",
        "invalid_response",
        "connection_error",
        "timeout",
        "http_error",
    }
)

#: Status given to IDs that ``sync-cli`` gave no usable answer for (it is
#: missing, crashed, timed out, printed garbage or too few lines).
CLI_ERROR = "cli_error"

#: Status given to IDs that cannot be sent to ``sync-cli`` at all.
INVALID_ID = "invalid_id"

#: Longest external ID accepted, in characters.
MAX_ID_LENGTH = 255

#: Default of each setting of the synchronisation (the system parameters
#: ``stock_sync_api.<key>``, which the addon's settings import from here, and
#: the defaults of :class:`SyncCliSettings`): written once.
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

#: Accepted range, both ends included, of each whole-number setting. Each is
#: within what ``sync-cli`` itself accepts (``--timeout`` up to 86400 s,
#: ``--retries`` up to 20, ``--concurrency`` up to 1024); ``batch_size`` is
#: the addon's (IDs per ``sync-cli`` run).
RANGES = {
    "timeout": (1, 3600),
    "retries": (0, 10),
    "concurrency": (1, 256),
    "batch_size": (1, 10000),
}

#: Accepted range of the largest quantity (``--max-quantity``): the same as
#: ``sync-cli``'s own (``MAX_QUANTITY_FLOOR`` and ``MAX_QUANTITY_CEILING`` in
#: ``sync-cli/src/validate.rs``).
MAX_QUANTITY_RANGE = (1.0, 1e14)

#: Whitespace that an external ID may neither start nor end with: Unicode's
#: White_Space property, as Rust's ``char::is_whitespace`` has it (Python's
#: ``str.isspace`` also counts U+001C..U+001F, which are control characters).
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

#: Upper bound, in seconds, of the pause ``sync-cli`` takes between retries.
_MAX_BACKOFF = 10.0

#: At most this many characters of ``sync-cli``'s stderr go into a message.
_STDERR_EXCERPT = 300

#: Environment variables that carry settings to ``sync-cli``; they are always
#: set (or removed) explicitly, never inherited from the Odoo process.
_SETTING_ENV = ("STOCK_API_URL", "STOCK_API_ENDPOINT", "STOCK_API_TOKEN", "STOCK_API_CA_FILE")

#: Largest quantity sync-cli may accept at all (its own hard limit).
MAX_QUANTITY_LIMIT = MAX_QUANTITY_RANGE[1]


@dataclass(frozen=True)
class SyncCliSettings:
    """What a ``sync-cli fetch`` run needs to know."""

    base_url: str
    cli_path: str = DEFAULTS["cli_path"]
    endpoint: str = ""
    token: str = field(default="", repr=False)
    timeout: int = DEFAULTS["timeout"]
    retries: int = DEFAULTS["retries"]
    concurrency: int = DEFAULTS["concurrency"]
    #: Largest quantity accepted from the API: a larger one is refused.
    max_quantity: float = DEFAULTS["max_quantity"]
    #: PEM file of CA certificates to trust besides the system's.
    ca_file: str = ""
    #: Seconds the whole run may take on top of its requests' own time limits.
    time_margin: float = 30.0

    def __post_init__(self):
        if not self.base_url:
            raise ValueError("the stock API base URL is not set")
        if not self.cli_path:
            raise ValueError("the path to sync-cli is not set")
        for key, unit in (("timeout", " seconds"), ("retries", ""), ("concurrency", "")):
            low, high = RANGES[key]
            value = getattr(self, key)
            if not low <= value <= high:
                raise ValueError(f"{key} must be between {low} and {high}{unit}, not {value}")
        low, high = MAX_QUANTITY_RANGE
        if not low <= self.max_quantity <= high:
            raise ValueError(
                f"the largest quantity must be between {low:.0f} and {high:.0f}, not {self.max_quantity}"
            )

    def argv(self):
        """The command line: settings that are no secret, never the URL or the token."""
        return [
            self.cli_path,
            "fetch",
            "--format",
            "jsonl",
            "--timeout",
            str(self.timeout),
            "--retries",
            str(self.retries),
            "--concurrency",
            str(self.concurrency),
            "--max-quantity",
            _format_quantity(self.max_quantity),
        ]

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
        if self.ca_file:
            env["STOCK_API_CA_FILE"] = self.ca_file
        # Errors and warnings only: stderr ends up in Odoo's log and messages.
        env.setdefault("RUST_LOG", "warn")
        env["NO_COLOR"] = "1"
        return env

    def run_timeout(self, count):
        """Seconds a run for ``count`` IDs may take before it is stopped.

        Each request may take ``timeout`` seconds per attempt, with pauses
        between attempts; ``concurrency`` requests run at once.
        """
        waves = math.ceil(max(count, 1) / self.concurrency)
        per_id = (self.retries + 1) * self.timeout + self.retries * _MAX_BACKOFF
        return self.time_margin + waves * per_id


@dataclass(frozen=True)
class FetchResult:
    """What became of one external ID."""

    external_id: str
    status: str
    quantity: float | None = None
    error: str | None = None
    http_status: int | None = None

    @property
    def ok(self):
        return self.status == "ok"


def is_blank(text):
    """Whether ``text`` is blank: empty, or nothing but ASCII spaces and tabs.

    The same rule as ``sync-cli``'s for its stdin lines (blank ones are
    skipped): anything else is an external ID, checked by
    :func:`check_external_id`, so a line of non-breaking spaces is refused,
    never dropped.
    """
    return all(char in " \t" for char in text)


def external_id_problem(external_id):
    """The rule ``external_id`` breaks and why, or None if it can be sent.

    The rules of ``sync-cli`` (``sync-cli/src/id.rs``), checked in the same
    order; the table ``tests/external_id_vectors.json`` that both sides' tests
    run holds the cases. The rule is one of ``empty``, ``too_long``,
    ``control``, ``spaces``, ``dot``.

    :return: ``(rule, message)`` or None
    """
    if not isinstance(external_id, str) or is_blank(external_id):
        return "empty", "the external ID is empty"
    if len(external_id) > MAX_ID_LENGTH:
        return "too_long", f"the external ID is longer than {MAX_ID_LENGTH} characters"
    for char in external_id:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return "control", f"the external ID contains a control character (U+{ord(char):04X})"
    if external_id[0] in WHITESPACE or external_id[-1] in WHITESPACE:
        return "spaces", "the external ID starts or ends with spaces"
    if external_id in (".", ".."):
        return "dot", "the external ID is . or .., which cannot be sent as a URL path segment"
    return None


def check_external_id(external_id):
    """Return why ``external_id`` cannot be sent to the API, or None if it can."""
    problem = external_id_problem(external_id)
    return problem[1] if problem else None


def fetch(external_ids, settings, base_env=None, started=None):
    """Ask ``sync-cli`` for the quantity of each ID; never raises for a bad run.

    :param external_ids: the IDs to ask for, without duplicates
    :param settings: a :class:`SyncCliSettings`
    :param started: called with the ``subprocess.Popen`` of ``sync-cli`` once
        it runs (see :class:`BackgroundFetch`)
    :return: a dict mapping each ID to its :class:`FetchResult`
    """
    external_ids = list(external_ids)
    if len(set(external_ids)) != len(external_ids):
        raise ValueError("external IDs must be unique within a batch")
    results = {}
    to_ask = []
    for external_id in external_ids:
        reason = check_external_id(external_id)
        if reason:
            results[external_id] = FetchResult(external_id, INVALID_ID, error=reason)
        else:
            to_ask.append(external_id)
    if to_ask:
        results.update(_run(to_ask, settings, base_env, started))
    return {external_id: results[external_id] for external_id in external_ids}


class BackgroundFetch:
    """:func:`fetch` running in a thread of its own while the caller does
    other work, e.g. applying the previous batch.

    ``result()`` waits for its answers; ``cancel()`` stops it (its
    ``sync-cli`` is killed) when they are no longer wanted.
    """

    def __init__(self, external_ids, settings, base_env=None):
        self._lock = threading.Lock()
        self._process = None
        self._cancelled = False
        self._results = None
        self._error = None
        self._thread = threading.Thread(
            target=self._fetch,
            args=(list(external_ids), settings, base_env),
            name="sync-cli fetch",
            daemon=True,
        )
        self._thread.start()

    def _fetch(self, external_ids, settings, base_env):
        try:
            self._results = fetch(external_ids, settings, base_env, started=self._started)
        except Exception as exc:  # noqa: BLE001 -- raised again by result()
            self._error = exc

    def _started(self, process):
        with self._lock:
            self._process = process
            if self._cancelled:
                process.kill()

    def result(self):
        """The answers, as :func:`fetch` returns them (waits for them)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._results

    def cancel(self):
        """Stop the run, and wait until it has stopped."""
        with self._lock:
            self._cancelled = True
            if self._process is not None:
                self._process.kill()
        self._thread.join()


def _run(external_ids, settings, base_env, started=None):
    argv = settings.argv()
    time_limit = settings.run_timeout(len(external_ids))
    stdin = "".join(f"{external_id}\n" for external_id in external_ids)
    _logger.debug("running %s for %d external IDs (time limit %ss)", argv, len(external_ids), time_limit)
    try:
        completed = _run_process(argv, stdin.encode(), settings.env(base_env), time_limit, started)
    except FileNotFoundError:
        return _all_failed(
            external_ids,
            f"sync-cli was not found at '{settings.cli_path}': install it on the server's PATH "
            "or set its path in the settings",
        )
    except PermissionError:
        return _all_failed(external_ids, f"sync-cli at '{settings.cli_path}' cannot be run: permission denied")
    except OSError as exc:
        return _all_failed(external_ids, f"sync-cli at '{settings.cli_path}' cannot be run: {exc.strerror or exc}")
    except subprocess.TimeoutExpired as exc:
        # It has been killed; what it printed before is still good.
        return parse_output(
            external_ids,
            exc.stdout or b"",
            missing_error=f"sync-cli did not finish within {time_limit:g} seconds and was stopped",
        )

    stderr = redact(_excerpt(completed.stderr), settings.token)
    if stderr:
        _logger.info("sync-cli stderr: %s", stderr)
    code = completed.returncode
    if code in (0, 3):
        missing = "sync-cli gave no answer for this product"
    elif code < 0:
        missing = f"sync-cli was killed by signal {-code}"
    elif code == 2:
        missing = f"sync-cli refused its settings: {stderr or 'no message'}"
    else:
        missing = f"sync-cli failed with exit status {code}: {stderr or 'no message'}"
    results = parse_output(external_ids, completed.stdout, missing_error=missing)
    if settings.token:
        # sync-cli never prints the token; this only keeps a broken build or
        # a stand-in from putting it in Odoo's messages.
        results = {
            external_id: dataclasses.replace(result, error=redact(result.error, settings.token))
            if result.error
            else result
            for external_id, result in results.items()
        }
    if code == 0 and any(not result.ok for result in results.values()):
        # Exit status 0 promises that every ID is ok.
        _logger.warning("sync-cli exited with status 0 but reported failures")
    return results


def _run_process(argv, stdin, env, time_limit, started):
    """``subprocess.run(argv, input=stdin, capture_output=True, ...)``, also
    handing the process to ``started`` once it runs.

    :raises subprocess.TimeoutExpired: with what it printed before it was killed
    """
    with subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:
        if started is not None:
            started(process)
        try:
            stdout, stderr = process.communicate(stdin, timeout=time_limit)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            exc.stdout, exc.stderr = process.communicate()
            raise
        except BaseException:
            process.kill()
            raise
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def parse_output(external_ids, stdout, missing_error):
    """Match ``sync-cli``'s stdout lines to the IDs asked, in order.

    Lines that are complete and valid are kept. From the first line that is
    not (garbage, another ID, a line cut short) on, and for IDs with no line
    at all, the result is a :data:`CLI_ERROR` with a message saying why.
    """
    if isinstance(stdout, bytes):
        stdout = stdout.decode("utf-8", errors="replace")
    lines = stdout.split("\n")
    # The last element is what followed the last newline: a line cut short.
    complete, partial = lines[:-1], lines[-1]
    results = {}
    problem = None
    for index, external_id in enumerate(external_ids):
        if problem is None and index < len(complete):
            try:
                results[external_id] = parse_line(complete[index], external_id)
                continue
            except ValueError as exc:
                problem = f"sync-cli printed an unusable answer on line {index + 1}: {exc}"
        elif problem is None and index == len(complete) and partial:
            problem = f"sync-cli's output stopped in the middle of line {index + 1}"
        results[external_id] = FetchResult(external_id, CLI_ERROR, error=problem or missing_error)
    if len(complete) > len(external_ids):
        _logger.warning("sync-cli printed %d lines for %d external IDs", len(complete), len(external_ids))
    return results


def parse_line(line, external_id):
    """Parse one JSON line of ``sync-cli``'s output for ``external_id``.

    :raises ValueError: the line does not follow the contract
    """
    try:
        data = json.loads(line)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("external_id") != external_id:
        raise ValueError(f"answer for {data.get('external_id')!r} where {external_id!r} was expected")
    status = data.get("status")
    if status not in API_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    http_status = data.get("http_status")
    if not isinstance(http_status, int) or isinstance(http_status, bool):
        http_status = None
    if status == "ok":
        quantity = data.get("quantity")
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, (int, float))
            or not math.isfinite(quantity)
            or quantity < 0
        ):
            raise ValueError(f"status ok with an invalid quantity {quantity!r}")
        return FetchResult(external_id, status, quantity=float(quantity), http_status=http_status)
    error = data.get("error")
    if not isinstance(error, str) or not error.strip():
        error = f"sync-cli reported {status} without a message"
    return FetchResult(external_id, status, error=error.strip(), http_status=http_status)


#: The shortest piece of the token that must never be shown.
_TOKEN_PIECE = 8


def redact(text, token):
    """``text`` with every run of 8 characters of ``token`` (all of it when
    shorter) replaced by ``<redacted>``."""
    if not token or not text:
        return text
    width = min(_TOKEN_PIECE, len(token))
    pieces = {token[i : i + width] for i in range(len(token) - width + 1)}
    hidden = [False] * len(text)
    for i in range(len(text) - width + 1):
        if text[i : i + width] in pieces:
            hidden[i : i + width] = [True] * width
    if not any(hidden):
        return text
    out = []
    i = 0
    while i < len(text):
        if hidden[i]:
            out.append("<redacted>")
            while i < len(text) and hidden[i]:
                i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _all_failed(external_ids, message):
    return {external_id: FetchResult(external_id, CLI_ERROR, error=message) for external_id in external_ids}


def _excerpt(stderr):
    text = stderr.decode("utf-8", errors="replace") if isinstance(stderr, bytes) else stderr or ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " | ".join(lines)
    if len(text) > _STDERR_EXCERPT:
        text = "..." + text[-_STDERR_EXCERPT:]
    return text


def _format_quantity(value):
    """A quantity as sync-cli reads it: plain decimal digits, no exponent."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
