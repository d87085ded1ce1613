"""The Odoo side of bench/busy_warehouse.py, run by ``odoo shell`` (``env`` is given).

Not meant to be run by hand: bench/busy_warehouse.py starts mock-api with the
matching data and two ``odoo shell`` processes on this script, which hand
each other files in ``BENCH_WORK``:

- ``BENCH_ROLE=round``: sets the settings, creates the catalog (external IDs
  ``W<BENCH_TAG>-<n>``, stock and API quantities by bench/catalog.py) and
  writes ``catalog.json``; once the deliveries have started
  (``deliveries-started``), runs the scheduled action's round as the
  scheduler does, then writes ``round-done``; once the deliveries have
  stopped (``deliveries.json``), reads every product's final stock and
  writes ``round.json``;
- ``BENCH_ROLE=deliver``: from ``catalog.json`` on, delivers one unit of a
  random product after another (of ``BENCH_MOVERS`` products, when set),
  each delivery its own transaction, until ``round-done``, then writes
  ``deliveries.json``.

Other variables: ``BENCH_DIR`` (this folder), ``BENCH_TAG``,
``BENCH_PRODUCTS``, ``BENCH_API_URL``, ``BENCH_SYNC_CLI``,
``BENCH_BATCH_SIZE`` (empty: the addon's default), ``BENCH_SEED``,
``BENCH_WARM_UP`` (seconds of deliveries before the round starts),
``BENCH_PAUSE_MS`` (pause between two deliveries), ``BENCH_MOVERS`` (how
many products, chosen at random, the deliveries are of; empty: any).

To know, for each product, which deliveries the sync saw, each delivery
records its transaction ID and the round records the snapshot of the
transaction of each batch (and of each retry): a delivery that snapshot
does not see was committed after the sync read the product's stock. The
round also records the sync's log lines about products that moved, its
phase timings per batch, and how each job run of the scheduled action ended.
"""

# ruff: noqa: F821 -- `env` is given by `odoo shell`

import functools
import json
import logging
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, os.environ["BENCH_DIR"])
from benchlib import run_scheduled_action  # noqa: E402
from catalog import api_quantity, on_hand  # noqa: E402

from odoo.service.model import retrying  # noqa: E402
from odoo.sql_db import db_connect  # noqa: E402

from odoo.addons.stock_sync_api.engine import read_setting  # noqa: E402
from odoo.addons.stock_sync_api.engine.batch import BatchSync  # noqa: E402

SYNC_LOGGER = "odoo.addons.stock_sync_api.engine.batch"
WORK = Path(os.environ["BENCH_WORK"])
#: How long a process waits for the other one, in seconds.
PATIENCE = 1800
#: How often the deliveries' lock waits are sampled, in seconds.
SAMPLE_EVERY = 0.01


def say(message):
    print(f"[{os.environ['BENCH_ROLE']}] {message}", file=sys.stderr, flush=True)


def wait_for(name):
    deadline = time.monotonic() + PATIENCE
    while not (WORK / name).exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not come in {PATIENCE} s")
        time.sleep(0.05)


def write(name, data):
    """Write ``name`` whole, so that the other process never reads half of it."""
    path = WORK / name
    path.with_suffix(".tmp").write_text(json.dumps(data), encoding="utf-8")
    path.with_suffix(".tmp").rename(path)


# ----------------------------------------------------------------------
# The round
# ----------------------------------------------------------------------


class SyncLog(logging.Handler):
    """Counts the sync's log lines about products that moved, and keeps the
    phase timings it logs for each batch."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.moved_meanwhile = 0
        self.kept_moving = 0
        self.batches = []

    def emit(self, record):
        message = record.getMessage()
        if "its stock moved meanwhile" in message:
            self.moved_meanwhile += 1
        elif "its stock kept moving" in message:
            self.kept_moving += 1
        elif timings := getattr(record, "api_sync_timings", None):
            products, changed = record.args[:2]
            self.batches.append({"at": record.created, "products": products, "changed": changed, **timings})


def observe_batches(calls):
    """Record, for each batch the sync runs (retries included), the
    snapshot of its transaction and how each product ended.

    ``pg_current_snapshot()`` as the batch's first statement: in a new
    transaction it takes the snapshot a few statements before the sync's
    own first query would; in one that has one already, it says which.
    """
    real_sync = BatchSync.sync

    @functools.wraps(real_sync)
    def sync(batch_sync, index, templates):
        batch_sync.env.cr.execute("SELECT pg_current_snapshot()::text")
        [snapshot] = batch_sync.env.cr.fetchone()
        start = time.time()
        outcomes = real_sync(batch_sync, index, templates)
        calls.append(
            {
                "retry": index is None,
                "snapshot": snapshot,
                "start": start,
                "end": time.time(),
                "products": len(templates),
                "states": {str(template_id): outcome.state for template_id, outcome in outcomes.items()},
            }
        )
        return outcomes

    BatchSync.sync = sync


def create_catalog(tag, size):
    """``size`` storable products with external IDs and on-hand stock, committed."""
    Template = env["product.template"].with_context(
        tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
    )
    # Products of an earlier pass keep their stock but leave the sync.
    env.cr.execute("UPDATE product_product SET api_external_id = NULL WHERE api_external_id IS NOT NULL")
    env.cr.execute("UPDATE product_template SET api_external_id = NULL WHERE api_external_id IS NOT NULL")
    env.invalidate_all()
    templates = Template.create(
        [{"name": f"Busy product W{tag}-{n:06d}", "is_storable": True, "api_external_id": f"W{tag}-{n:06d}"}
         for n in range(size)]
    )  # fmt: skip
    location = env.ref("stock.warehouse0").lot_stock_id
    env["stock.quant"].sudo().create(
        [
            {"product_id": template.product_variant_id.id, "location_id": location.id, "quantity": on_hand(n)}
            for n, template in enumerate(templates)
        ]
    )
    env.cr.commit()
    return [
        {
            "n": n,
            "template_id": template.id,
            "variant_id": template.product_variant_id.id,
            "on_hand": on_hand(n),
            "api": api_quantity(size, n),
        }
        for n, template in enumerate(templates)
    ]


def stock_by_variant(variant_ids, location):
    """On hand at ``location`` and below, read from the quants."""
    groups = (
        env["stock.quant"]
        .sudo()
        ._read_group(
            [("product_id", "in", variant_ids), ("location_id", "child_of", location.id)],
            ["product_id"],
            ["quantity:sum"],
        )
    )
    stock = dict.fromkeys(variant_ids, 0.0)
    stock.update((product.id, quantity) for product, quantity in groups)
    return stock


def play_round():
    tag, size = os.environ["BENCH_TAG"], int(os.environ["BENCH_PRODUCTS"])
    params = env["ir.config_parameter"].sudo()
    params.set_param("stock_sync_api.base_url", os.environ["BENCH_API_URL"])
    params.set_param("stock_sync_api.cli_path", os.environ["BENCH_SYNC_CLI"])
    params.set_param("stock_sync_api.batch_size", os.environ.get("BENCH_BATCH_SIZE") or False)
    batch_size = read_setting(env, "batch_size")
    env.cr.commit()
    products = create_catalog(tag, size)
    say(f"{size} products created, batch size {batch_size}")
    write("catalog.json", products)

    handler = SyncLog()
    logger = logging.getLogger(SYNC_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    calls = []
    observe_batches(calls)
    inventory_moves_before = env["stock.move"].search_count([("is_inventory", "=", True)])

    wait_for("deliveries-started")
    say("round starts")
    start = time.time()
    jobs = []
    seconds, job_runs = run_scheduled_action(env, after_job=watch_jobs(jobs))
    end = time.time()
    (WORK / "round-done").touch()
    say(f"round done in {seconds:.2f} s ({job_runs} job runs)")

    wait_for("deliveries.json")
    # A new transaction: the last one's snapshot is older than the last deliveries.
    env.cr.rollback()
    env.invalidate_all()
    run = env["stock.sync.run"].search([("trigger", "=", "cron")], order="id desc", limit=1)
    location = env.ref("stock.warehouse0").lot_stock_id
    final = stock_by_variant([p["variant_id"] for p in products], location)
    templates = env["product.template"].browse([p["template_id"] for p in products])
    status = {t.id: (t.api_sync_state, t.api_sync_message) for t in templates}
    for product in products:
        product["final"] = final[product["variant_id"]]
        product["state"], product["message"] = status[product["template_id"]]
    # A delivery that finds a quant locked (by the sync, between its apply
    # and its commit) takes another one or makes a new one: it does not wait.
    env.cr.execute(
        """
        SELECT count(*) FROM (
            SELECT product_id FROM stock_quant
             WHERE location_id = %s AND product_id = ANY(%s)
             GROUP BY product_id HAVING count(*) > 1
        ) several
        """,
        [location.id, [p["variant_id"] for p in products]],
    )
    [several_quants] = env.cr.fetchone()
    result = {
        "batch_size": batch_size,
        "products_with_several_quants": several_quants,
        "round": {
            "start": start,
            "end": end,
            "seconds": seconds,
            "job_runs": job_runs,
            "jobs": jobs,
            "run_state": run.state,
            "counts": {
                "done": run.done_count,
                "changed": run.changed_count,
                "up_to_date": run.up_to_date_count,
                "errors": run.error_count,
            },
            "batches": handler.batches,
            "moved_meanwhile_lines": handler.moved_meanwhile,
            "kept_moving_lines": handler.kept_moving,
            "inventory_moves": env["stock.move"].search_count([("is_inventory", "=", True)]) - inventory_moves_before,
        },
        "calls": calls,
        "products": products,
    }
    write("round.json", result)


# ----------------------------------------------------------------------
# The deliveries
# ----------------------------------------------------------------------


class LockWaits(threading.Thread):
    """Samples, from a connection of its own, whether the deliveries'
    connection waits on a lock, and which statement of whom it waits for."""

    def __init__(self, pid, current):
        super().__init__(daemon=True)
        self.pid = pid
        #: ``current[0]``: the index of the delivery under way (None between two).
        self.current = current
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        with db_connect(env.cr.dbname).cursor() as cr:
            while not self.stop.is_set():
                delivery = self.current[0]
                cr.execute(
                    """
                    SELECT a.wait_event_type, a.wait_event, left(a.query, 300), b.state, left(b.query, 300)
                      FROM pg_stat_activity a
                      LEFT JOIN pg_stat_activity b ON b.pid = (pg_blocking_pids(a.pid))[1]
                     WHERE a.pid = %s
                    """,
                    [self.pid],
                )
                row = cr.fetchone()
                cr.rollback()  # pg_stat_activity is read once per transaction
                if delivery is not None and row and row[0] == "Lock":
                    self.samples.append(
                        {
                            "delivery": delivery,
                            "at": time.time(),
                            "wait_event": row[1],
                            "query": row[2],
                            "blocker_state": row[3],
                            "blocker_query": row[4],
                        }
                    )
                time.sleep(SAMPLE_EVERY)


class JobLog(logging.Handler):
    """The scheduler's line at the end of each job run: how it ended
    (fully or partially done), how many records it said were left."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.last = None

    def emit(self, record):
        if "#loop" in record.getMessage():
            self.last = record.getMessage()


def watch_jobs(jobs):
    """``after_job`` for :func:`benchlib.run_scheduled_action`: how each job
    run ended, whether the round's run was still running, and when the
    scheduler would call the scheduled action next."""
    handler = JobLog()
    cron_logger = logging.getLogger("odoo.addons.base.models.ir_cron")
    cron_logger.addHandler(handler)
    cron_logger.setLevel(logging.INFO)

    def after_job(cron):
        running = env["stock.sync.run"].sudo().search_count([("trigger", "=", "cron"), ("state", "=", "running")])
        # A job run "partially done" is called again through a trigger, one
        # "fully done" at its next call. The scheduler takes the triggers
        # when it runs the job, which the next job run here stands for.
        env.cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s RETURNING call_at", [cron.id])
        triggers = [call_at for [call_at] in env.cr.fetchall()]
        env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        [now] = env.cr.fetchone()
        env.cr.commit()
        next_call = min([cron.nextcall, *triggers])
        jobs.append(
            {
                "ended": handler.last,
                "run_still_running": bool(running),
                "next_call_in_s": (next_call - now).total_seconds(),
            }
        )

    return after_job


class RequestRetries(logging.Handler):
    """What Odoo's request retry says when it tries a delivery again: the
    error, and the pause before the next try."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.said = []

    def emit(self, record):
        self.said.append(record.getMessage())


def deliver_continuously():
    rng = random.Random(int(os.environ["BENCH_SEED"]))
    pause = int(os.environ.get("BENCH_PAUSE_MS") or 0) / 1000
    warm_up = float(os.environ["BENCH_WARM_UP"])
    wait_for("catalog.json")
    products = json.loads((WORK / "catalog.json").read_text(encoding="utf-8"))
    movers = int(os.environ.get("BENCH_MOVERS") or 0)
    if movers:
        products = rng.sample(products, movers)
    stock = env.ref("stock.warehouse0").lot_stock_id
    customers = env.ref("stock.stock_location_customers")
    env.cr.execute("SELECT pg_backend_pid()")
    [pid] = env.cr.fetchone()
    env.cr.commit()
    current = [None]
    lock_waits = LockWaits(pid, current)
    lock_waits.start()
    attempts = [0]
    retries = RequestRetries()
    retry_logger = logging.getLogger("odoo.service.model")
    retry_logger.addHandler(retries)
    retry_logger.setLevel(logging.INFO)

    def deliver(variant_id):
        attempts[0] += 1
        try:
            return deliver_once(variant_id)
        except Exception as exc:
            # Which statement of the delivery met the error.
            query = getattr(env.cr._obj, "query", None) or b""
            errors.append(f"{str(exc).splitlines()[0]} in {query.decode(errors='replace')[:160]!r}")
            raise

    def deliver_once(variant_id):
        env.cr.execute("SELECT pg_current_xact_id()::text")
        [xid] = env.cr.fetchone()
        move = env["stock.move"].create(
            {
                "product_id": variant_id,
                "product_uom_qty": 1,
                "location_id": stock.id,
                "location_dest_id": customers.id,
            }
        )
        move._action_confirm()
        move._action_assign()
        move.picked = True
        move._action_done()
        if move.state != "done":
            raise RuntimeError(f"a delivery ended {move.state}")
        return xid

    deliveries = []
    say(f"delivering (warm-up {warm_up:g} s before the round)")
    first = time.monotonic()
    while not (WORK / "round-done").exists():
        if not (WORK / "deliveries-started").exists() and time.monotonic() - first >= warm_up:
            (WORK / "deliveries-started").touch()
        product = rng.choice(products)
        current[0] = len(deliveries)
        attempts[0] = 0
        errors = []
        retries.said = []
        start = time.time()
        # As a validation at the dock, a request: Odoo tries it again on a
        # concurrency error, after a random pause.
        xid = retrying(functools.partial(deliver, product["variant_id"]), env)
        end = time.time()
        current[0] = None
        deliveries.append(
            {
                "n": product["n"],
                "xid": xid,
                "start": start,
                "end": end,
                "attempts": attempts[0],
                "retries": retries.said,
                "errors": errors,
            }
        )
        if pause:
            time.sleep(pause)
    lock_waits.stop.set()
    lock_waits.join()
    say(f"{len(deliveries)} deliveries")
    write("deliveries.json", {"deliveries": deliveries, "lock_waits": lock_waits.samples})


if os.environ["BENCH_ROLE"] == "round":
    play_round()
else:
    deliver_continuously()
