"""Running ``sync-cli fetch``: its IDs on stdin, its settings and token in its
environment, its answers read from stdout; in the foreground or the background."""

import logging
import subprocess
import threading

from .ids import check_external_id
from .output import CLI_ERROR, INVALID_ID, FetchResult, parse_output, redact, redact_result

_logger = logging.getLogger(__name__)

#: At most this many characters of ``sync-cli``'s stderr go into a message.
_STDERR_EXCERPT = 300

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
    except subprocess.TimeoutExpired as exc:
        # It has been killed; what it printed before is still good.
        return parse_output(
            external_ids,
            exc.stdout or b"",
            missing_error=f"sync-cli did not finish within {time_limit:g} seconds and was stopped",
        )
    except OSError as exc:
        return _all_failed(external_ids, launch_problem(settings.cli_path, exc))

    secrets = settings.secrets()
    stderr = redact(_excerpt(completed.stderr), secrets)
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
    if secrets:
        # sync-cli never prints the token nor the user; this only keeps a
        # broken build or a stand-in from putting them in Odoo's messages.
        results = {external_id: redact_result(result, secrets) for external_id, result in results.items()}
    if code == 0 and any(not result.ok for result in results.values()):
        # Exit status 0 promises that every ID is ok.
        _logger.warning("sync-cli exited with status 0 but reported failures")
    return results


def launch_problem(cli_path, error):
    """Why ``sync-cli`` at ``cli_path`` could not be started (``error``, an ``OSError``)."""
    if isinstance(error, FileNotFoundError):
        return (
            f"sync-cli was not found at '{cli_path}': install it on the server's PATH or set its path in the settings"
        )
    if isinstance(error, PermissionError):
        return f"sync-cli at '{cli_path}' cannot be run: permission denied"
    return f"sync-cli at '{cli_path}' cannot be run: {error.strerror or error}"


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


def _all_failed(external_ids, message):
    return {external_id: FetchResult(external_id, CLI_ERROR, error=message) for external_id in external_ids}


def _excerpt(stderr):
    text = stderr.decode("utf-8", errors="replace") if isinstance(stderr, bytes) else stderr or ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " | ".join(lines)
    if len(text) > _STDERR_EXCERPT:
        text = "..." + text[-_STDERR_EXCERPT:]
    return text
