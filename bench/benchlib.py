"""Helpers shared by the benchmarks: the workspace's programs, mock-api, figures.

Standard library only: the benchmarks that need more say so themselves.
"""

import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"


def log(message):
    print(message, file=sys.stderr, flush=True)


def release_binaries():
    """Paths of the release builds of sync-cli and mock-api, built if needed.

    ``SYNC_CLI_BIN`` and ``MOCK_API_BIN`` name other builds (then nothing is built).
    """
    sync_cli = os.environ.get("SYNC_CLI_BIN")
    mock_api = os.environ.get("MOCK_API_BIN")
    if not (sync_cli and mock_api):
        log("==> cargo build --release (sync-cli, mock-api)")
        subprocess.run(
            ["cargo", "build", "--workspace", "--bins", "--release", "--locked", "--quiet"],
            cwd=ROOT,
            check=True,
        )
    target = ROOT / "target" / "release"
    return str(sync_cli or target / "sync-cli"), str(mock_api or target / "mock-api")


def write_products(path, products, updated_at=None):
    """A mock-api data file: ``products`` is a list of ``(product_id, quantity)``;
    ``updated_at`` (RFC 3339), when given, stamps every product."""
    stamp = {"updated_at": updated_at} if updated_at else {}
    with open(path, "w", encoding="utf-8") as out:
        json.dump([{"product_id": pid, "quantity": str(qty), **stamp} for pid, qty in products], out)


class MockApi:
    """mock-api on a free port, stopped on exit of the ``with`` block.

    Request logs are off (``RUST_LOG=warn``): at thousands of requests a second
    they would take CPU from the program under test on a small machine. With
    ``request_log`` (a path), they go to that file instead, one line per
    answer, for :func:`requests_logged` to count.
    """

    def __init__(self, binary, data_file, latency_ms=0, request_log=None):
        self.argv = [binary, "--bind", "127.0.0.1:0", "--data", str(data_file), "--latency-ms", str(latency_ms)]
        self.request_log = request_log
        self.process = None
        self.url = None

    def __enter__(self):
        env = dict(os.environ, RUST_LOG="tower_http=info" if self.request_log else "warn")
        stderr = open(self.request_log, "w") if self.request_log else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        finally:
            if self.request_log:
                stderr.close()
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.process.kill()
            raise RuntimeError(f"mock-api did not start: {line!r}")
        self.url = line[len("listening on ") :]
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait(timeout=10)


def requests_logged(request_log, method="GET", settle=0.5):
    """How many ``method`` requests mock-api answered, by its request log
    (``MockApi(request_log=...)``). mock-api writes its log from a thread of
    its own: ``settle`` seconds are left for the last lines first."""
    time.sleep(settle)
    marker = f"method={method} "
    with open(request_log, encoding="utf-8", errors="replace") as lines:
        return sum(1 for line in lines if "finished processing request" in line and marker in line)


def summary(values):
    """``{"median", "min", "max", "runs"}`` of a list of numbers."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def machine():
    """What the figures ran on."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(re.search(r"MemTotal:\s+(\d+)", info.read()).group(1))
            memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(terse=True),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_1min": os.getloadavg()[0],
    }


def save(name, result):
    """Write ``result`` as ``bench/out/<name>.json`` and return the path."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path


def gnu_time():
    """``/usr/bin/time`` (GNU time, for ``-v``), or None."""
    path = shutil.which("time")
    if not path:
        return None
    done = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return path if "GNU" in done.stdout + done.stderr else None


def odoo(*args, timeout, **kwargs):
    """Run ``odoo`` with ``args`` and ``ODOO_BENCH_ARGS``; :return: the completed process."""
    return subprocess.run(odoo_argv(*args), timeout=timeout, check=False, **kwargs)


def odoo_argv(*args):
    """The command line of ``odoo`` with ``args`` and ``ODOO_BENCH_ARGS``."""
    return ["odoo", *args, *shlex.split(os.environ.get("ODOO_BENCH_ARGS", ""))]


def connection_error(odoo_log):
    """What Odoo's log says about failing to connect to PostgreSQL, if it does."""
    for line in Path(odoo_log).read_text(errors="replace").splitlines():
        if "OperationalError: connection to server" in line or "OperationalError: could not connect" in line:
            return line.split("OperationalError: ", 1)[1].strip()
    return None


@contextlib.contextmanager
def throwaway_database(prefix, log_file, keep=False):
    """A new database with the addon installed, dropped on exit (unless ``keep``).

    :param log_file: the open file Odoo's output goes to
    :return: (in the ``with``) the database's name
    """
    db = f"{prefix}_{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
    try:
        log(f"==> database {db}: installing stock_sync_api (log: {log_file.name})")
        done = odoo(
            "-d", db, "-i", "stock_sync_api", f"--addons-path={ROOT}", "--stop-after-init",
            "--http-port=0", "--log-level=warn",
            timeout=1200, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        if done.returncode != 0:
            log_file.flush()
            if error := connection_error(log_file.name):
                sys.exit(
                    f"odoo could not connect to PostgreSQL: {error}; tell it where its database server is"
                    " (its configuration file through ODOO_RC, or PGHOST, PGPORT, PGUSER and PGPASSWORD)"
                )
            sys.exit(f"installing the addon failed (exit status {done.returncode}); see {log_file.name}")
        yield db
    finally:
        if not keep:
            odoo("db", "drop", db, timeout=300, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_scheduled_action(env, after_job=None):
    """Run the sync's scheduled action as the scheduler does, until its round
    is over, in the ``odoo shell`` whose environment is ``env``.

    The scheduler runs a job for about 10 s, then reschedules it at once
    ("partially done"); each of those runs counts here.

    :param after_job: called with the scheduled action after each job run
    :return: ``(seconds, job runs)``
    """
    cron = env.ref("stock_sync_api.ir_cron_api_sync")
    Run = env["stock.sync.run"].sudo()
    runs = 0
    start = time.perf_counter()
    while True:
        result = cron.method_direct_trigger()
        env.cr.commit()  # release the job's row, as the scheduler does
        runs += 1
        if result is not True:
            raise RuntimeError(f"the scheduled action failed: {result}")
        env.invalidate_all()
        if after_job is not None:
            after_job(cron)
        if not Run.search_count([("trigger", "=", "cron"), ("state", "=", "running")]):
            break
        if runs > 1000:
            raise RuntimeError("the scheduled action does not finish its round")
    return time.perf_counter() - start, runs


def wall(argv, **kwargs):
    """Run ``argv`` and return ``(seconds, completed_process)``."""
    start = time.perf_counter()
    completed = subprocess.run(argv, check=False, **kwargs)
    return time.perf_counter() - start, completed
