#!/usr/bin/env python3
"""Benchmark of the scheduled sync over a large catalog, end to end, in Odoo 19.

    python3 bench/odoo_sync.py              # or: make bench-odoo
    python3 bench/odoo_sync.py --profile    # or: make bench-profile

In a throwaway database (created, then dropped) with the addon installed, for
1,000 and then 10,000 products with external IDs, one in ten of which the
stock API (mock-api, no latency) sees differently:

1. runs the scheduled action the way the scheduler does (job runs of about
   10 s, repeated until the round is over) and times it, with the time spent
   fetching, comparing, applying and in bookkeeping (as the sync logs it for
   each batch), then checks that every product has the API's quantity and that
   one inventory move was made per changed product;
2. runs it again on the now unchanged catalog.

With ``--batch-sizes 200,500,...`` (or ``--concurrencies 8,32,...``), then
syncs the 10,000 products again with each batch size (or concurrency), a new
tenth of them changed in the API each time.
With ``--profile``, runs one synchronisation of 1,000 such products under cProfile
instead (changed, then unchanged) and prints where the time goes.

Needs ``odoo`` on PATH (Odoo 19 told where its database server is, as for the
tests: its configuration file, e.g. through ``ODOO_RC``, or ``PGHOST``,
``PGPORT``, ``PGUSER`` and ``PGPASSWORD``, which odoo reads and which
``.ci/run`` sets for the server it sets up) and cargo. Environment:
``ODOO_BENCH_ARGS`` (extra arguments for
odoo, e.g. "--db_host=db -r odoo -w odoo"), ``SYNC_CLI_BIN`` and
``MOCK_API_BIN`` (builds to use instead of the release ones).
Prints a table and writes the figures to ``bench/out/odoo_sync.json``.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import benchlib
import catalog
from benchlib import ROOT, MockApi, log

BENCH_DIR = Path(__file__).resolve().parent
SHELL_SCRIPT = BENCH_DIR / "odoo_sync_shell.py"
PHASES = ("fetch", "compare", "apply", "bookkeeping", "other")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,10000", help="catalog sizes (default: 1000,10000)")
    parser.add_argument("--profile", action="store_true", help="profile one synchronisation of the first size")
    parser.add_argument("--batch-size", type=int, help="batch size setting (default: the addon's)")
    parser.add_argument("--concurrency", type=int, help="concurrency setting (default: the addon's)")
    parser.add_argument("--latency-ms", type=int, default=0, help="mock-api's latency (default: 0)")
    parser.add_argument("--batch-sizes", default="", help="batch sizes to sync the largest catalog with afterwards")
    parser.add_argument("--concurrencies", default="", help="concurrencies to sync the largest catalog with afterwards")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database afterwards")
    args = parser.parse_args()
    if not shutil.which("odoo"):
        sys.exit("bench/odoo_sync.py needs `odoo` (Odoo 19) on PATH")
    sizes = [int(size) for size in args.sizes.split(",")]
    sync_cli, mock_api = benchlib.release_binaries()
    benchlib.OUT_DIR.mkdir(parents=True, exist_ok=True)
    name = "odoo_profile" if args.profile else "odoo_sync"
    odoo_log = benchlib.OUT_DIR / f"{name}.log"
    with (
        tempfile.TemporaryDirectory(prefix="bench_odoo_") as tmp,
        open(odoo_log, "w") as log_file,
        benchlib.throwaway_database("stock_sync_api_bench", log_file, keep=args.keep_db) as db,
    ):
        tmp = Path(tmp)
        data = tmp / "products.json"
        benchlib.write_products(data, [p for size in sizes for p in catalog.api_products(size)])
        with MockApi(mock_api, data, latency_ms=args.latency_ms) as api:
            env = dict(
                os.environ,
                BENCH_DIR=str(BENCH_DIR),
                BENCH_SIZES=",".join(map(str, sizes)),
                BENCH_API_URL=api.url,
                BENCH_SYNC_CLI=sync_cli,
                BENCH_RESULT=str(tmp / "result.json"),
                BENCH_BATCH_SIZE=str(args.batch_size or ""),
                BENCH_CONCURRENCY=str(args.concurrency or ""),
                BENCH_BATCH_SIZES=args.batch_sizes,
                BENCH_CONCURRENCIES=args.concurrencies,
            )
            if args.profile:
                env["BENCH_PROFILE"] = str(benchlib.OUT_DIR / "odoo_sync")
            with open(SHELL_SCRIPT, "rb") as script:
                done = benchlib.odoo(
                    "shell", "-d", db, f"--addons-path={ROOT}", "--http-port=0", "--log-level=warn",
                    timeout=3600, stdin=script, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                )  # fmt: skip
        result_file = tmp / "result.json"
        if done.returncode != 0 or not result_file.exists():
            sys.exit(f"the benchmark failed (exit status {done.returncode}); see {odoo_log}")
        result = json.loads(result_file.read_text())
    result["machine"] = benchlib.machine()
    result["latency_ms"] = args.latency_ms
    if args.profile:
        log(f"profiles printed in {odoo_log}")
    else:
        report(result)
    log(f"figures written to {benchlib.save(name, result)}")


def report(result):
    machine = result["machine"]
    print(f"machine: {machine['cores']} cores, {machine['cpu']}, {machine['memory']}, {machine['date']}")
    print(
        f"settings: batch size {result['batch_size']}, concurrency {result['concurrency']}; "
        f"mock-api latency {result['latency_ms']} ms"
    )
    print()
    rows = [(str(size["products"]), size) for size in result["sizes"]]
    rows += [(f"{b['products']} (batch size {b['batch_size']})", b) for b in result.get("batch_size_sweep", [])]
    rows += [(f"{c['products']} (concurrency {c['concurrency']})", c) for c in result.get("concurrency_sweep", [])]
    print("| products | run | seconds | ms/product | " + " | ".join(PHASES) + " | job runs |")
    print("| ---: | --- | ---: | ---: | " + " | ".join("---:" for _ in PHASES) + " | ---: |")
    for name, figures in rows:
        for key, label in (("changed_run", f"{figures['changed']} changed"), ("unchanged_run", "none changed")):
            run = figures[key]
            phases = " | ".join(f"{run['phases_s'][phase]:.2f}" for phase in PHASES)
            print(
                f"| {name} | {label} | {run['seconds']:.2f} | {run['per_product_ms']:.2f} | "
                f"{phases} | {run['job_runs']} |"
            )
    print()
    print("Odoo's own batched inventory apply of the same changes, in the same database and run:")
    print("| products | changed | Odoo's apply (s) | sync of the changed catalog (s) | ratio |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for size in result["sizes"]:
        print(
            f"| {size['products']} | {size['changed']} | {size['odoo_apply_s']:.2f} | "
            f"{size['changed_run']['seconds']:.2f} | {size['ratio_to_odoo_apply']:.2f} x |"
        )
    print()
    big = max(result["sizes"], key=lambda size: size["products"])
    if big["products"] >= 10_000:
        seconds = big["changed_run"]["seconds"]
        met = "MET    " if seconds <= 12 else "NOT MET"
        print(f"{met}  {big['products']} products, {big['changed']} changed, in at most 12 s ({seconds:.2f} s)")
        ratio = big["ratio_to_odoo_apply"]
        met = "MET    " if ratio <= 1.3 else "NOT MET"
        print(f"{met}  the same, at most 1.3 x Odoo's own apply of its changes ({ratio:.2f} x)")
        per_product = big["unchanged_run"]["per_product_ms"]
        met = "MET    " if per_product <= 0.3 else "NOT MET"
        print(f"{met}  the unchanged catalog at most 0.3 ms a product ({per_product:.3f} ms)")


if __name__ == "__main__":
    main()
