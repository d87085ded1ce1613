#!/usr/bin/env python3
"""The busy warehouse: the scheduled sync's round while a second Odoo
process delivers stock continuously.

    python3 bench/busy_warehouse.py                  # or: make bench-busy
    python3 bench/busy_warehouse.py --batch-sizes 1000,200

In a throwaway database (created, then dropped) with the addon installed:
3,000 products with external IDs, one in ten of which the stock API
(mock-api) sees differently (bench/catalog.py). One ``odoo shell`` runs the
scheduled action's round the way the scheduler does (``ir.cron``'s
``method_direct_trigger``, a commit after each batch); meanwhile a second
``odoo shell`` delivers one unit of a random product after another (a
``stock.move`` from WH/Stock to Customers, confirmed, reserved, picked, done),
each delivery its own transaction, tried again by Odoo's own request retry
on a concurrency error, from a few seconds before the round until its end.
With ``--movers N``, the deliveries are of N products only (a warehouse's
fast movers): more of them meet the sync between its read and its apply.

Prints the products in error at the end of the round (and how many because
their stock kept moving), the retries of products that moved (the sync's
log lines "its stock moved meanwhile"), the deliveries done, their duration
(median, 95th percentile, longest: from the start of the transaction to its
commit, Odoo's retries and pauses included) and the lock waits seen, the
round's duration, and whether every product holds the API's quantity, but
for what the warehouse delivered after the sync read it. Also said: a job
run of the scheduled action that ended with its round still running and no
call of it due before its interval (the scheduler would then leave the rest
of the round for an hour).

Which deliveries the sync saw is decided by PostgreSQL: each delivery
records its transaction ID, the round records the snapshot of the
transaction in which each product was compared and applied (its batch's, or
its last retry's). A delivery that snapshot does not see was committed after
the sync read the product's stock: the product must then hold the API's
quantity less those units; a product with no such delivery must hold the
API's quantity exactly.

With ``--batch-sizes``, one pass per batch size, each with a new catalog in
the same database. Needs what bench/odoo_sync.py needs (``odoo`` on PATH and
its database server, cargo; ``ODOO_BENCH_ARGS``, ``SYNC_CLI_BIN`` and
``MOCK_API_BIN``). Writes the figures to ``bench/out/busy_warehouse.json``
and the log of both Odoo processes to ``bench/out/busy_warehouse.log``.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import benchlib
import catalog
from benchlib import ROOT, MockApi, log

BENCH_DIR = Path(__file__).resolve().parent
SHELL_SCRIPT = BENCH_DIR / "busy_warehouse_shell.py"

#: The goal: no delivery waits longer than this, in seconds.
LONGEST_DELIVERY = 1.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--products", type=int, default=3000, help="catalog size (default: 3000)")
    parser.add_argument(
        "--batch-sizes", default="", help="comma-separated batch sizes, one pass each (default: the addon's)"
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="mock-api's latency (default: 0)")
    parser.add_argument("--warm-up", type=float, default=3.0, help="seconds of deliveries before the round (3)")
    parser.add_argument("--pause-ms", type=int, default=0, help="pause between two deliveries (default: 0)")
    parser.add_argument(
        "--movers", type=int, default=0, help="deliver only this many products, chosen at random (default: any)"
    )
    parser.add_argument("--seed", type=int, default=23, help="seed of the products delivered (default: 23)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database afterwards")
    args = parser.parse_args()
    if not shutil.which("odoo"):
        sys.exit("bench/busy_warehouse.py needs `odoo` (Odoo 19) on PATH")
    batch_sizes = [int(size) for size in args.batch_sizes.split(",") if size] or [None]
    sync_cli, mock_api = benchlib.release_binaries()
    benchlib.OUT_DIR.mkdir(parents=True, exist_ok=True)
    odoo_log = benchlib.OUT_DIR / "busy_warehouse.log"
    passes = []
    with (
        tempfile.TemporaryDirectory(prefix="bench_busy_") as tmp,
        open(odoo_log, "w") as log_file,
        benchlib.throwaway_database("stock_sync_api_busy", log_file, keep=args.keep_db) as db,
    ):
        tmp = Path(tmp)
        data = tmp / "products.json"
        benchlib.write_products(
            data,
            [
                (f"W{tag}-{n:06d}", catalog.api_quantity(args.products, n))
                for tag in range(len(batch_sizes))
                for n in range(args.products)
            ],
        )
        with MockApi(mock_api, data, latency_ms=args.latency_ms) as api:
            for tag, batch_size in enumerate(batch_sizes):
                work = tmp / f"pass{tag}"
                work.mkdir()
                env = dict(
                    os.environ,
                    BENCH_DIR=str(BENCH_DIR),
                    BENCH_WORK=str(work),
                    BENCH_TAG=str(tag),
                    BENCH_PRODUCTS=str(args.products),
                    BENCH_API_URL=api.url,
                    BENCH_SYNC_CLI=sync_cli,
                    BENCH_BATCH_SIZE=str(batch_size or ""),
                    BENCH_SEED=str(args.seed + tag),
                    BENCH_WARM_UP=str(args.warm_up),
                    BENCH_PAUSE_MS=str(args.pause_ms),
                    BENCH_MOVERS=str(args.movers or ""),
                )
                label = f"batch size {batch_size}" if batch_size else "the default batch size"
                log(f"==> {args.products} products, {label}")
                run_pass(db, env, log_file)
                round_ = json.loads((work / "round.json").read_text(encoding="utf-8"))
                deliveries = json.loads((work / "deliveries.json").read_text(encoding="utf-8"))
                passes.append(analyse(round_, deliveries))
    result = {
        "machine": benchlib.machine(),
        "products": args.products,
        "latency_ms": args.latency_ms,
        "warm_up_s": args.warm_up,
        "pause_ms": args.pause_ms,
        "movers": args.movers or None,
        "passes": passes,
    }
    report(result)
    log(f"figures written to {benchlib.save('busy_warehouse', result)}; Odoo's log: {odoo_log}")


def run_pass(db, env, log_file):
    """The round and the deliveries, two ``odoo shell`` processes at once;
    should one fail, the other is stopped."""
    processes = {}
    for role in ("round", "deliver"):
        with open(SHELL_SCRIPT, "rb") as script:
            processes[role] = subprocess.Popen(
                benchlib.odoo_argv(
                    "shell",
                    "-d",
                    db,
                    f"--addons-path={ROOT}",
                    "--http-port=0",
                    "--log-level=warn",
                ),
                stdin=script,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=dict(env, BENCH_ROLE=role),
            )
    deadline = time.monotonic() + 3600
    while any(process.poll() is None for process in processes.values()):
        failed = [role for role, process in processes.items() if process.poll() not in (None, 0)]
        if failed or time.monotonic() > deadline:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
            what = f"the {' and '.join(failed)} process failed" if failed else "it took more than an hour"
            sys.exit(f"the benchmark stopped: {what}; see {log_file.name}")
        time.sleep(0.2)
    failed = [role for role, process in processes.items() if process.returncode != 0]
    if failed:
        sys.exit(f"the benchmark stopped: the {' and '.join(failed)} process failed; see {log_file.name}")


# ----------------------------------------------------------------------
# What happened
# ----------------------------------------------------------------------


def parse_snapshot(text):
    """``(xmin, xmax, in progress)`` of ``pg_current_snapshot()``'s text."""
    xmin, xmax, xip = text.split(":")
    return int(xmin), int(xmax), {int(x) for x in xip.split(",") if x}


def sees(snapshot, xid):
    """Whether a transaction with snapshot ``snapshot`` sees the committed transaction ``xid``."""
    xmin, xmax, in_progress = snapshot
    return xid < xmin or (xid < xmax and xid not in in_progress)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def analyse(round_, delivered):
    """The figures of one pass, from what the two processes wrote."""
    products = round_["products"]
    by_template = {str(p["template_id"]): p for p in products}
    # The transaction that settled each product: the last batch or retry
    # whose outcome for it is not "moved".
    settled = {}
    for call in round_["calls"]:
        snapshot = parse_snapshot(call["snapshot"])
        for template_id, state in call["states"].items():
            if state != "moved":
                settled[template_id] = (state, snapshot)
    moved = {tid for call in round_["calls"] for tid, state in call["states"].items() if state == "moved"}
    settled_in_retry = {tid for call in round_["calls"] if call["retry"] for tid in call["states"]} & moved
    deliveries = delivered["deliveries"]
    by_product = defaultdict(list)
    for delivery in deliveries:
        by_product[delivery["n"]].append(int(delivery["xid"]))

    start, end = round_["round"]["start"], round_["round"]["end"]
    during = [d for d in deliveries if d["end"] > start and d["start"] < end]
    calm = [d for d in deliveries if d["end"] <= start]
    moved_during = {d["n"] for d in during}

    errors = Counter()
    checked = equal = moved_after = as_expected = 0
    wrong = []
    for template_id, product in by_template.items():
        state, snapshot = settled.get(template_id, (None, None))
        if product["state"] != "ok" or state != "ok":
            errors[product["message"] or state or "no outcome"] += 1
            continue
        after = sum(not sees(snapshot, xid) for xid in by_product[product["n"]])
        expected = product["api"] - after
        if after:
            moved_after += 1
            as_expected += product["final"] == expected
        else:
            checked += 1
            equal += product["final"] == expected
        if product["final"] != expected:
            wrong.append({"n": product["n"], "api": product["api"], "after": after, "final": product["final"]})

    kept_moving = sum(count for message, count in errors.items() if "kept moving" in message)
    serialization = sum(
        count for message, count in errors.items() if "serialize" in message or "concurrent update" in message
    )
    durations = [d["end"] - d["start"] for d in during]
    calm_durations = [d["end"] - d["start"] for d in calm]
    waits = lock_waits(delivered["lock_waits"])
    retries = [c for c in round_["calls"] if c["retry"]]
    return {
        "batch_size": round_["batch_size"],
        "round": round_["round"],
        "products_with_several_quants": round_["products_with_several_quants"],
        "products": len(products),
        "changed_in_api": sum(p["api"] != p["on_hand"] for p in products),
        "errors": sum(errors.values()),
        "errors_kept_moving": kept_moving,
        "errors_serialization": serialization,
        "error_messages": dict(errors.most_common()),
        "retry_transactions": len(retries),
        "moved_products": len(moved),
        "moved_settled_in_retry": len(settled_in_retry),
        "batch_phases": round_["round"]["batches"],
        "apply_s": apply_times(round_),
        "deliveries": {
            "total": len(deliveries),
            "during_round": len(during),
            "per_second_during_round": len(during) / (end - start),
            "products_moved_during_round": len(moved_during),
            "tried_again": sum(d["attempts"] > 1 for d in deliveries),
            "why_tried_again": [
                {"duration_s": d["end"] - d["start"], "retries": d["retries"], "errors": d["errors"]}
                for d in deliveries
                if d["attempts"] > 1
            ],
            "median_s": statistics.median(durations) if durations else None,
            "p95_s": percentile(durations, 0.95) if durations else None,
            "longest_s": max(durations) if durations else None,
            "over_goal": sum(duration > LONGEST_DELIVERY for duration in durations),
            "calm_median_s": statistics.median(calm_durations) if calm_durations else None,
            "calm_longest_s": max(calm_durations) if calm_durations else None,
        },
        "lock_waits": waits,
        "stock": {
            "not_moved_after_read": checked,
            "equal_to_api": equal,
            "moved_after_read": moved_after,
            "api_less_delivered_after_read": as_expected,
            "wrong": wrong[:20],
        },
    }


def apply_times(round_):
    """The apply phase of each batch of more than one product, in seconds:
    ``{"calm": [...], "moved": [...]}``, the latter of batches in which a
    product moved while it was applied."""
    times = {"calm": [], "moved": []}
    for batch in round_["round"]["batches"]:
        if batch["products"] < 2:
            continue
        call = next((c for c in round_["calls"] if c["start"] <= batch["at"] <= c["end"] + 1e-3), None)
        moved = call is not None and "moved" in call["states"].values()
        times["moved" if moved else "calm"].append(batch["apply"])
    return times


def lock_waits(samples):
    """The lock waits sampled, per delivery: how long (about), on what."""
    per_delivery = defaultdict(list)
    for sample in samples:
        per_delivery[sample["delivery"]].append(sample)
    waits = []
    for delivery, seen in per_delivery.items():
        waits.append(
            {
                "delivery": delivery,
                "about_s": seen[-1]["at"] - seen[0]["at"],
                "samples": len(seen),
                "query": seen[0]["query"],
                "blocker_state": seen[0]["blocker_state"],
                "blocker_query": seen[0]["blocker_query"],
            }
        )
    waits.sort(key=lambda wait: -wait["samples"])
    return {"deliveries_seen_waiting": len(waits), "longest": waits[:5]}


def report(result):
    machine = result["machine"]
    print(
        f"machine: {machine['cores']} cores, {machine['cpu']}, {machine['memory']}, {machine['date']}, "
        f"load average {machine['load_average_1min']:.1f}"
    )
    movers = f"of {result['movers']} products chosen at random" if result["movers"] else "of any product"
    print(
        f"{result['products']} products; mock-api latency {result['latency_ms']} ms; deliveries {movers}, from "
        f"{result['warm_up_s']:g} s before the round, {result['pause_ms']} ms apart"
    )
    for figures in result["passes"]:
        round_ = figures["round"]
        deliveries = figures["deliveries"]
        stock = figures["stock"]
        print()
        print(f"batch size {figures['batch_size']}:")
        print(
            f"  round: {round_['seconds']:.2f} s ({round_['job_runs']} job runs), run {round_['run_state']}, "
            f"{round_['counts']['changed']} changed, {round_['counts']['up_to_date']} up to date, "
            f"{round_['counts']['errors']} errors; {round_['inventory_moves']} inventory moves"
        )
        for job in round_["jobs"]:
            if job["run_still_running"] and job["next_call_in_s"] > 60:
                print(
                    f"  a job run left the round running and the scheduler would call it again only in "
                    f"{job['next_call_in_s'] / 60:.0f} min: {job['ended']}"
                )
        print(
            f"  products in error: {figures['errors']} ({figures['errors_kept_moving']} because their stock kept "
            f"moving, {figures['errors_serialization']} with a database message)"
        )
        for message, count in figures["error_messages"].items():
            print(f"    {count} x {message}")
        in_retry = figures["moved_settled_in_retry"]
        print(
            f"  retries: {figures['moved_products']} products moved while they were applied "
            f"({round_['moved_meanwhile_lines']} log lines 'its stock moved meanwhile'): {in_retry} synced by the "
            f"round's retries ({figures['retry_transactions']} transactions), "
            f"{figures['moved_products'] - in_retry} by the scheduled action's next call; "
            f"{round_['kept_moving_lines']} kept moving"
        )
        for kind, label in (("calm", "where nothing moved"), ("moved", "where a product moved")):
            if applies := sorted(figures["apply_s"][kind]):
                print(
                    f"  apply of a batch {label}: median {statistics.median(applies):.2f} s, "
                    f"longest {applies[-1]:.2f} s ({len(applies)} {'batch' if len(applies) == 1 else 'batches'})"
                )
        print(
            f"  deliveries: {deliveries['total']} in all, {deliveries['during_round']} during the round "
            f"({deliveries['per_second_during_round']:.1f} a second, {deliveries['products_moved_during_round']} "
            f"products), {deliveries['tried_again']} tried again by Odoo"
        )
        if deliveries["during_round"]:
            print(
                f"  delivery duration during the round: median {deliveries['median_s'] * 1000:.0f} ms, "
                f"95th percentile {deliveries['p95_s'] * 1000:.0f} ms, longest {deliveries['longest_s'] * 1000:.0f} ms"
                f"; {deliveries['over_goal']} over {LONGEST_DELIVERY:g} s"
            )
        if deliveries["calm_median_s"] is not None:
            print(
                f"  before the round: median {deliveries['calm_median_s'] * 1000:.0f} ms, "
                f"longest {deliveries['calm_longest_s'] * 1000:.0f} ms"
            )
        for tried in deliveries["why_tried_again"]:
            print(f"    tried again, {tried['duration_s'] * 1000:.0f} ms in all: {' / '.join(tried['retries'])}")
            for error in tried["errors"]:
                print(f"      {error}")
        waits = figures["lock_waits"]
        print(
            f"  deliveries seen waiting on a lock: {waits['deliveries_seen_waiting']}; products with several "
            f"quants in WH/Stock afterwards: {figures['products_with_several_quants']}"
        )
        for wait in waits["longest"][:3]:
            print(
                f"    ~{wait['about_s'] * 1000:.0f} ms on {wait['query'][:80]!r}, "
                f"held by ({wait['blocker_state']}) {(wait['blocker_query'] or '')[:80]!r}"
            )
        print(
            f"  stock: {stock['equal_to_api']} of the {stock['not_moved_after_read']} products the warehouse did not "
            f"move after the sync read them hold the API's quantity; {stock['api_less_delivered_after_read']} of "
            f"the {stock['moved_after_read']} it moved after hold the API's quantity less what it delivered since"
        )
        goals = [
            (figures["errors_kept_moving"] + figures["errors_serialization"] == 0,
             "no product in error because it moved during the round"),
            (deliveries["longest_s"] is None or deliveries["longest_s"] <= LONGEST_DELIVERY,
             f"no delivery waiting more than {LONGEST_DELIVERY:g} s"),
            (stock["equal_to_api"] == stock["not_moved_after_read"],
             "stock equal to the API for every product not moved after the API answered"),
        ]  # fmt: skip
        for met, goal in goals:
            print(f"  {'MET    ' if met else 'NOT MET'}  {goal}")


if __name__ == "__main__":
    main()
