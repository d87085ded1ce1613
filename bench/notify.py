#!/usr/bin/env python3
"""Benchmark of the stock API's notifications against a running Odoo 19.

    python3 bench/notify.py                       # or: make bench-notify
    python3 bench/notify.py --rate 50 --seconds 60

In a throwaway database (created, then dropped) with the addon and a catalog
of products with external IDs, an Odoo server runs as in production with one
HTTP worker (``--workers=1``, and its cron worker). For ``--seconds`` seconds,
``--rate`` times a second, the benchmark changes one product's quantity in
the stock API (mock-api, ``PUT``), then sends Odoo the signed notification
for it (``POST /stock_sync_api/notify``), each product once. It measures:

- the route's answer time, as the stock API sees it (median, 95th
  percentile, max), and the statuses;
- the delay from each notification to the product's on-hand quantity in Odoo
  being the API's new one (median, 95th percentile, max), polled in the
  database every 100 ms;
- the notified runs the scheduled action made (how many, how many products
  each), and the most trigger rows and queued products seen at once: the
  bounds of a flood.

One notification is sent and synced first, untimed (the cron worker loads
the registry, sync-cli's first start). The brake keeps its defaults: a run of
20 or more products (``hold_min_products``) of which more than half change
is held, so that a rate at which one run takes 20 notified products or more
shows held runs (``--hold-min-products`` to change it).

Needs ``odoo`` on PATH (told where its database server is, as for the tests:
``PGHOST``, ``PGPORT``, ``PGUSER`` and ``PGPASSWORD``, which ``psql`` reads
too), ``psql``, and cargo (or ``SYNC_CLI_BIN`` and ``MOCK_API_BIN``).
``ODOO_BENCH_ARGS``: extra arguments for odoo. Prints the figures and writes
them to ``bench/out/notify.json``; Odoo's log goes to ``bench/out/notify.log``.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import benchlib
from benchlib import ROOT, MockApi, log

SECRET = "bench-notify-secret"
ROUTE = "/stock_sync_api/notify"
POLL_SECONDS = 0.1

#: Run by ``odoo shell`` to set the database up: settings and products.
SETUP = """
import os
params = env["ir.config_parameter"].sudo()
for key, value in (
    ("base_url", os.environ["BENCH_API_URL"]),
    ("cli_path", os.environ["BENCH_SYNC_CLI"]),
    ("notify_secret", os.environ["BENCH_SECRET"]),
    ("hold_min_products", os.environ["BENCH_HOLD_MIN_PRODUCTS"]),
):
    if value:
        params.set_param("stock_sync_api." + key, value)
Template = env["product.template"].sudo()
env["product.product"].sudo().with_context(active_test=False).search([("api_external_id", "!=", False)]).write(
    {"api_external_id": False}
)
Template.create([
    {"name": "Notified " + pid, "is_storable": True, "api_external_id": pid}
    for pid in os.environ["BENCH_IDS"].split(",")
])
env.cr.commit()
"""


def external_id(n):
    return f"N-{n:06d}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(db, query):
    done = subprocess.run(
        ["psql", "-d", db, "-tAXq", "-v", "ON_ERROR_STOP=1", "-c", query],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split("|") for line in done.stdout.splitlines() if line]


def request(url, method, path, body=None, headers=None, timeout=30):
    """``(status, seconds)`` of one HTTP request on a new connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    start = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    finally:
        connection.close()


def notify(odoo_url, product_ids):
    body = json.dumps({"product_ids": product_ids}).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Stock-Sync-Timestamp": timestamp,
        "X-Stock-Sync-Signature": f"sha256={signature}",
    }
    return request(odoo_url, "POST", ROUTE, body, headers)


def set_quantity(api_url, product_id, quantity):
    body = json.dumps({"quantity": str(quantity)}).encode()
    status, _seconds = request(api_url, "PUT", f"/api/stock/{product_id}", body, {"Content-Type": "application/json"})
    if status != 200:
        raise RuntimeError(f"mock-api answered {status} to the PUT of {product_id}")


class Psql:
    """One ``psql`` session kept open: polling 10 times a second costs no process start."""

    END = "__end_of_answer__"

    def __init__(self, db):
        self.process = subprocess.Popen(
            ["psql", "-d", db, "-tAXq", "-v", "ON_ERROR_STOP=1"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def query(self, query):
        self.process.stdin.write(f"{query};\n\\echo {self.END}\n")
        self.process.stdin.flush()
        rows = []
        for line in self.process.stdout:
            line = line.rstrip("\n")
            if line == self.END:
                return rows
            if line:
                rows.append(line.split("|"))
        raise RuntimeError("psql stopped")

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


class Poller(threading.Thread):
    """Polls the database: when each notified product's on-hand becomes the
    API's quantity, and the most trigger rows and queued products at once."""

    def __init__(self, db, location_id, cron_id):
        super().__init__(daemon=True)
        self.psql = Psql(db)
        self.location_id = location_id
        self.cron_id = cron_id
        self.expected = {}  # product_id -> (quantity, sent at)
        self.right_at = {}  # product_id -> seconds after it was notified
        self.max_triggers = 0
        self.max_queued = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def expect(self, product_id, quantity, sent_at):
        with self.lock:
            self.expected[product_id] = (quantity, sent_at)

    def forget(self, product_id):
        with self.lock:
            self.expected.pop(product_id, None)

    def waiting(self):
        with self.lock:
            return {pid: value for pid, value in self.expected.items() if pid not in self.right_at}

    def run(self):
        while not self.stopping.is_set():
            self.poll()
            self.stopping.wait(POLL_SECONDS)
        self.psql.close()

    def poll(self):
        waiting = self.waiting()
        ids = ",".join(f"'{pid}'" for pid in waiting) or "''"
        rows = self.psql.query(
            f"""
            SELECT 'q', p.api_external_id, COALESCE(SUM(q.quantity), 0)
              FROM product_product p
              LEFT JOIN stock_quant q ON q.product_id = p.id AND q.location_id = {self.location_id}
             WHERE p.api_external_id IN ({ids})
             GROUP BY p.api_external_id
            UNION ALL SELECT 't', '', count(*) FROM ir_cron_trigger WHERE cron_id = {self.cron_id}
            UNION ALL SELECT 'n', '', count(*) FROM stock_sync_notification
            """
        )
        now = time.perf_counter()
        for kind, product_id, value in rows:
            if kind == "t":
                self.max_triggers = max(self.max_triggers, int(value))
            elif kind == "n":
                self.max_queued = max(self.max_queued, int(value))
            elif product_id in waiting and float(value) == waiting[product_id][0]:
                with self.lock:
                    self.right_at[product_id] = now - waiting[product_id][1]


def figures(seconds):
    seconds = sorted(seconds)
    if not seconds:
        return None
    return {
        "median_ms": 1000 * statistics.median(seconds),
        "p95_ms": 1000 * seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))],
        "max_ms": 1000 * seconds[-1],
        "count": len(seconds),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=10, help="notifications a second (default: 10)")
    parser.add_argument("--seconds", type=float, default=60, help="how long (default: 60)")
    parser.add_argument("--hold-min-products", default="", help="the brake's hold_min_products (default: the addon's)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database afterwards")
    args = parser.parse_args()
    for program in ("odoo", "psql"):
        if not shutil.which(program):
            sys.exit(f"bench/notify.py needs `{program}` on PATH")
    count = int(args.rate * args.seconds)
    ids = [external_id(n) for n in range(count + 1)]  # the first is the warm-up's
    sync_cli, mock_api = benchlib.release_binaries()
    benchlib.OUT_DIR.mkdir(parents=True, exist_ok=True)
    odoo_log = benchlib.OUT_DIR / "notify.log"
    with (
        tempfile.TemporaryDirectory(prefix="bench_notify_") as tmp,
        open(odoo_log, "w") as log_file,
        benchlib.throwaway_database("stock_sync_api_bench_notify", log_file, keep=args.keep_db) as db,
    ):
        data = Path(tmp) / "products.json"
        benchlib.write_products(data, [(pid, 0) for pid in ids])
        with MockApi(mock_api, data) as api:
            env = dict(
                os.environ,
                BENCH_API_URL=api.url,
                BENCH_SYNC_CLI=sync_cli,
                BENCH_SECRET=SECRET,
                BENCH_IDS=",".join(ids),
                BENCH_HOLD_MIN_PRODUCTS=args.hold_min_products,
            )
            log(f"==> {len(ids)} products with external IDs, the stock API's URL and the secret")
            done = benchlib.odoo(
                "shell", "-d", db, f"--addons-path={ROOT}", "--http-port=0", "--log-level=warn",
                timeout=600, input=SETUP, text=True, stdout=log_file, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
            if done.returncode != 0:
                sys.exit(f"setting the database up failed; see {odoo_log}")
            result = run_load(db, api.url, log_file, args, ids)
    result["machine"] = benchlib.machine()
    report(result)
    log(f"figures written to {benchlib.save('notify', result)}")


def run_load(db, api_url, log_file, args, ids):
    port = free_port()
    odoo_url = f"http://127.0.0.1:{port}"
    argv = benchlib.odoo_argv(
        "-d", db, f"--addons-path={ROOT}", f"--db-filter=^{db}$", f"--http-port={port}",
        f"--gevent-port={free_port()}", "--workers=1", "--max-cron-threads=1", "--log-level=info",
    )  # fmt: skip
    log(f"==> Odoo on {odoo_url}: {' '.join(argv[1:])}")
    server = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: request(odoo_url, "GET", "/web/health")[0] == 200, 120, "Odoo to answer")
        location_id = int(psql(db, "SELECT lot_stock_id FROM stock_warehouse ORDER BY id LIMIT 1")[0][0])
        cron_id = int(
            psql(
                db,
                "SELECT res_id FROM ir_model_data"
                " WHERE module = 'stock_sync_api' AND name = 'ir_cron_api_sync_notified'",
            )[0][0]
        )
        poller = Poller(db, location_id, cron_id)
        poller.start()

        log("==> warm-up: one notification, synced")
        warm_up = ids[0]
        set_quantity(api_url, warm_up, 1)
        status, _seconds = notify(odoo_url, [warm_up])
        if status != 202:
            sys.exit(f"the warm-up notification was answered {status}; see {log_file.name}")
        poller.expect(warm_up, 1.0, time.perf_counter())
        wait_for(lambda: warm_up in poller.right_at, 120, "the warm-up's product to be synced")
        first_run = int(psql(db, "SELECT COALESCE(max(id), 0) FROM stock_sync_run")[0][0])

        log(f"==> {args.rate:g} notifications a second for {args.seconds:g} s")
        answers = []
        lag = []

        def send(index, product_id, due):
            lag.append(max(0.0, time.perf_counter() - due))
            quantity = 100 + index
            set_quantity(api_url, product_id, quantity)
            sent_at = time.perf_counter()
            poller.expect(product_id, float(quantity), sent_at)
            try:
                status, seconds = notify(odoo_url, [product_id])
            except OSError as exc:
                # One HTTP worker's listen queue is short: a flood beyond what
                # it answers is refused or times out before Odoo sees it.
                status, seconds = type(exc).__name__, time.perf_counter() - sent_at
                poller.forget(product_id)
            answers.append((status, seconds))

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            futures = []
            for index, product_id in enumerate(ids[1:]):
                due = start + index / args.rate
                time.sleep(max(0.0, due - time.perf_counter()))
                futures.append(pool.submit(send, index, product_id, due))
            for future in futures:
                future.result()
        sending = time.perf_counter() - start
        log("==> waiting for the last products to be synced")
        try:
            wait_for(lambda: not poller.waiting(), 120, "every notified product to be synced")
        except TimeoutError as exc:
            log(f"NOTE: {exc}")
        poller.stopping.set()
        poller.join()
        runs = psql(
            db,
            f"SELECT state, count(*), COALESCE(sum(product_count), 0), COALESCE(max(product_count), 0)"
            f" FROM stock_sync_run WHERE trigger = 'notified' AND id > {first_run} GROUP BY state ORDER BY state",
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    statuses = {}
    for status, _seconds in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    delays = [poller.right_at[pid] for pid in ids[1:] if pid in poller.right_at]
    sent = [pid for pid in ids[1:] if pid in poller.expected]
    return {
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "notifications": len(answers),
        "sending_s": sending,
        "sender_lag_max_ms": 1000 * max(lag, default=0.0),
        "statuses": statuses,
        "answer": figures([seconds for status, seconds in answers if isinstance(status, int)]),
        "delay_to_stock_right": figures(delays),
        "not_right": len(sent) - len(delays),
        "runs": [
            {"state": state, "runs": int(runs_count), "products": int(products), "largest": int(largest)}
            for state, runs_count, products, largest in runs
        ],
        "max_trigger_rows": poller.max_triggers,
        "max_queued_products": poller.max_queued,
        "hold_min_products": args.hold_min_products or "default",
        "odoo": "--workers=1 --max-cron-threads=1",
        # Each notification's product, when it was sent (seconds after the
        # first) and how long its stock took to be right (None: never).
        "each": [
            {
                "product_id": pid,
                "sent_s": round(poller.expected[pid][1] - start, 3),
                "right_after_s": round(poller.right_at[pid], 3) if pid in poller.right_at else None,
            }
            for pid in ids[1:]
            if pid in poller.expected
        ],
    }


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"gave up waiting {timeout} s for {what}")


def report(result):
    machine = result["machine"]
    print(f"machine: {machine['cores']} cores, {machine['cpu']}, {machine['memory']}, {machine['date']}")
    print(
        f"Odoo {result['odoo']}; {result['notifications']} notifications, {result['rate_per_s']:g} a second "
        f"for {result['seconds']:g} s (sent in {result['sending_s']:.1f} s; statuses {result['statuses']})"
    )
    print()
    print("| | median | 95th percentile | max | count |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, key in (("route's answer", "answer"), ("notification to stock right", "delay_to_stock_right")):
        row = result[key]
        if row:
            print(
                f"| {label} | {row['median_ms']:.0f} ms | {row['p95_ms']:.0f} ms | {row['max_ms']:.0f} ms | "
                f"{row['count']} |"
            )
    print()
    for run in result["runs"]:
        print(
            f"notified runs {run['state']}: {run['runs']} ({run['products']} products, at most {run['largest']} a run)"
        )
    print(
        f"at most {result['max_trigger_rows']} trigger rows and {result['max_queued_products']} queued products at once"
    )
    if result["not_right"]:
        print(f"NOT SYNCED: {result['not_right']} notified products never had the API's quantity")
    answer, delay = result["answer"], result["delay_to_stock_right"]
    if answer:
        met = "MET    " if answer["median_ms"] < 100 else "NOT MET"
        print(f"{met}  the route answers in under 100 ms at the median ({answer['median_ms']:.0f} ms)")
    if delay:
        met = "MET    " if delay["max_ms"] <= 5000 and not result["not_right"] else "NOT MET"
        print(f"{met}  a notified change is in Odoo within 5 s ({delay['max_ms'] / 1000:.1f} s at most)")


if __name__ == "__main__":
    main()
