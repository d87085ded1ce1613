#!/usr/bin/env python3
"""Stock per location: the scheduled sync of a catalog stocked in three
mapped locations, against Odoo's own apply of the same changes.

    python3 bench/locations.py                       # or: make bench-locations
    python3 bench/locations.py --products 2000 --changed 200

In a throwaway database (created, then dropped) with the addon installed:
``--products`` products (10,000) with external IDs, each with 10 units in
each of three locations of the main company (WH/Stock and two more
warehouses' stock), mapped to the stock API's codes PARIS, LYON and NICE.
mock-api answers each product per location; for ``--changed`` of them
(1,000) NICE has 12. One ``odoo shell`` runs the scheduled action's round as
the scheduler does (a commit after each batch), with the real sync-cli.
Right before and right after the round, it applies the same 1,000 changes to
twin products (no external ID, the same stock) the way a stock manager
applies a list of counts: the counts created in inventory mode, then one
``action_apply_inventory``. The round is compared with the mean of the two,
so that a machine slower for a minute weighs on both sides.

Prints both times and their ratio (the goal: at most 1.3), and checks that
every product holds the API's quantity in each location. Needs what
bench/odoo_sync.py needs (``odoo`` on PATH and its database server, cargo;
``ODOO_BENCH_ARGS``, ``SYNC_CLI_BIN`` and ``MOCK_API_BIN``). With
``--profile``, the round runs under cProfile, and its busiest functions go to
the log (and all of it to ``bench/out/locations.prof``, Odoo's own applies'
to ``bench/out/locations_floor_before.prof`` and ``..._after.prof``). Writes the
figures to ``bench/out/locations.json`` and Odoo's log to
``bench/out/locations.log``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import benchlib
from benchlib import OUT_DIR, ROOT, MockApi, log

BENCH_DIR = Path(__file__).resolve().parent
SHELL_SCRIPT = BENCH_DIR / "locations_shell.py"

#: The API's location codes, each mapped to one Odoo location.
CODES = ("PARIS", "LYON", "NICE")

#: The goal: the round at most this many times Odoo's own apply.
GOAL = 1.3


def external_id(n):
    return f"L-{n:06d}"


def changed(n, products, changes):
    """Whether product ``n`` is one of the ``changes`` spread over the catalog."""
    return changes and n % max(products // changes, 1) == 0 and n // max(products // changes, 1) < changes


def api_products(args):
    """mock-api's data: each product 10 in each location, 12 at NICE for the changed ones
    (without mappings: one quantity, 10 or 12)."""
    products = []
    for n in range(args.products):
        new = "12" if changed(n, args.products, args.changed) else "10"
        if args.no_mappings:
            products.append({"product_id": external_id(n), "quantity": new})
        else:
            locations = [{"location": code, "quantity": new if code == "NICE" else "10"} for code in CODES]
            products.append({"product_id": external_id(n), "locations": locations})
    return products


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--products", type=int, default=10_000, help="catalog size (default: 10000)")
    parser.add_argument("--changed", type=int, default=1_000, help="products changed at NICE (default: 1000)")
    parser.add_argument(
        "--no-mappings",
        action="store_true",
        help="the same catalog in WH/Stock only, answered without locations: the sync as before, to compare",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the round under cProfile and print where its time goes into bench/out/locations.log",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    sync_cli, mock_api = benchlib.release_binaries()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    odoo_log = OUT_DIR / "locations.log"
    with tempfile.TemporaryDirectory(prefix="bench_locations_") as tmp, open(odoo_log, "w") as log_file:
        tmp = Path(tmp)
        data = tmp / "products.json"
        data.write_text(json.dumps(api_products(args)), encoding="utf-8")
        result_file = tmp / "result.json"
        with (
            MockApi(mock_api, data) as api,
            benchlib.throwaway_database("bench_locations", log_file, args.keep_db) as db,
        ):
            env = dict(
                os.environ,
                BENCH_DIR=str(BENCH_DIR),
                BENCH_PRODUCTS=str(args.products),
                BENCH_CHANGED=str(args.changed),
                BENCH_API_URL=api.url,
                BENCH_SYNC_CLI=sync_cli,
                BENCH_RESULT=str(result_file),
                BENCH_NO_MAPPINGS="1" if args.no_mappings else "",
                BENCH_PROFILE="1" if args.profile else "",
            )
            where = "one location, no mapping" if args.no_mappings else f"{len(CODES)} mapped locations"
            log(f"==> {args.products} products in {where}, {args.changed} changed")
            with open(SHELL_SCRIPT, "rb") as script:
                done = subprocess.run(
                    benchlib.odoo_argv("shell", "-d", db, f"--addons-path={ROOT}", "--http-port=0", "--log-level=warn"),
                    stdin=script,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env=env,
                    timeout=7200,
                    check=False,
                )
            if done.returncode != 0 or not result_file.exists():
                sys.exit(f"the benchmark failed (exit status {done.returncode}); see {odoo_log}")
            figures = json.loads(result_file.read_text(encoding="utf-8"))
    result = {
        "machine": benchlib.machine(),
        "products": args.products,
        "changed": args.changed,
        "mappings": not args.no_mappings,
        **figures,
    }
    ratio = figures["round_s"] / figures["odoo_apply_s"]
    result["ratio"] = ratio
    result["ratio_to_apply_only"] = figures["round_s"] / figures["odoo_apply_only_s"]
    phases = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in figures["phases_s"].items())
    log(
        f"round {figures['round_s']:.1f} s ({figures['job_runs']} job runs, {figures['lines']} lines; {phases}), "
        f"Odoo's own apply {figures['odoo_apply_s']:.1f} s (the mean of "
        + " and ".join(f"{a['counts_s'] + a['apply_only_s']:.1f}" for a in figures["odoo_applies"])
        + f"): {ratio:.2f} x (goal: at most {GOAL} x); "
        f"action_apply_inventory alone, the counts set, {figures['odoo_apply_only_s']:.1f} s: "
        f"{result['ratio_to_apply_only']:.2f} x"
    )
    log(f"figures written to {benchlib.save('locations', result)}; Odoo's log: {odoo_log}")
    if args.profile:
        log(f"the round's profile (slower than without it) is in {odoo_log}")


if __name__ == "__main__":
    main()
