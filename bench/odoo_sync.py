#!/usr/bin/env python3
"""Benchmark of the scheduled sync over a large catalog, end to end, in Odoo 19.

    python3 bench/odoo_sync.py              # or: make bench-odoo
    python3 bench/odoo_sync.py --profile    # or: make bench-profile

In a throwaway database (created, then dropped) with the addon installed, for
1,000 and then 10,000 products with external IDs, one in ten of which the
stock API (mock-api, no latency unless ``--latency-ms``) sees differently,
asked one request per product (the default mode):

1. runs the scheduled action the way the scheduler does (job runs of about
   10 s, repeated until the round is over) and times it, with the time spent
   fetching, comparing, applying and in bookkeeping (as the sync logs it for
   each batch), then checks that every product has the API's quantity and that
   one inventory move was made per changed product;
2. runs it again on the now unchanged catalog;
3. for the largest catalog, ``--rounds`` minus one hourly rounds: a new
   tenth changed in the API, then the scheduled action.

Odoo's own apply of the same changes (the counts, then one
``action_apply_inventory``) is measured on twin products right before and
right after each round, and the round is compared with the mean of the two:
a machine slower for a minute weighs on both sides. The verdict takes the
median round.

Then the listing mode (``stock_sync_api.fetch_mode = listing``), mock-api
answering after 20 ms (``--listing-latency-ms``), each request it answers
counted from its request log:

3. a fresh catalog of 10,000 products (``--listing-products``), one in ten
   changed: a full round in listing mode, timed and set beside Odoo's own
   apply of the same changes; then again unchanged; then a new tenth changed
   and a round in per-product mode at the same latency;
4. a catalog of 100,000 products (``--delta-products``), listed in full once
   (the first listing, not the figure), then 100 of them (``--delta-changes``)
   changed in the API by PUT: the round of changes (the scheduled action
   ``_cron_sync_changes``), timed, with the requests it sent.

``--no-listing`` leaves 3 and 4 out, ``--listing-only`` leaves 1 and 2 out
(then Odoo's apply of the 10,000 products' changes is measured in 3).

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
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
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
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the largest catalog, the first sync included (default: 3)"
    )
    parser.add_argument(
        "--variants", type=int, default=1, help="variants per template of the per-product catalogs (default: 1)"
    )
    parser.add_argument("--no-listing", action="store_true", help="leave the listing mode out")
    parser.add_argument("--listing-only", action="store_true", help="only the listing mode (no --sizes)")
    parser.add_argument(
        "--listing-latency-ms", type=int, default=20, help="mock-api's latency in the listing mode (default: 20)"
    )
    parser.add_argument(
        "--listing-products", type=int, default=10_000, help="catalog of the full listing round (default: 10000)"
    )
    parser.add_argument(
        "--delta-products", type=int, default=100_000, help="catalog of the round of changes (default: 100000)"
    )
    parser.add_argument("--delta-changes", type=int, default=100, help="products changed for it (default: 100)")
    args = parser.parse_args()
    if args.no_listing and args.listing_only:
        parser.error("--no-listing and --listing-only leave nothing to run")
    listing = not (args.no_listing or args.profile)
    if not shutil.which("odoo"):
        sys.exit("bench/odoo_sync.py needs `odoo` (Odoo 19) on PATH")
    sizes = [] if args.listing_only else [int(size) for size in args.sizes.split(",") if size]
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
        with contextlib.ExitStack() as apis:
            api = apis.enter_context(MockApi(mock_api, data, latency_ms=args.latency_ms))
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
                BENCH_VARIANTS=str(args.variants),
                BENCH_ROUNDS=str(args.rounds),
            )
            if args.profile:
                env["BENCH_PROFILE"] = str(benchlib.OUT_DIR / "odoo_sync")
            if listing:
                env.update(listing_apis(apis, mock_api, tmp, args))
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
    result["variants_per_template"] = args.variants
    if listing:
        result["listing"]["latency_ms"] = args.listing_latency_ms
    if args.profile:
        log(f"profiles printed in {odoo_log}")
    else:
        report(result)
    log(f"figures written to {benchlib.save(name, result)}")


def listing_apis(apis, mock_api, tmp, args):
    """Start the two mock-apis of the listing mode, logging their requests:
    one holding the full round's catalog (one in ten changed), one holding
    the round of changes' catalog as Odoo will (stamped a day ago, so that
    only what changes afterwards is listed as changed).

    :param apis: the ``ExitStack`` that stops them
    :return: their environment variables for the shell script
    """
    full_data, delta_data = tmp / "listing.json", tmp / "delta.json"
    benchlib.write_products(full_data, catalog.api_products(args.listing_products))
    day_ago = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    size = args.delta_products
    benchlib.write_products(
        delta_data, [(catalog.external_id(size, n), catalog.on_hand(n)) for n in range(size)], updated_at=day_ago
    )
    full = apis.enter_context(
        MockApi(mock_api, full_data, latency_ms=args.listing_latency_ms, request_log=tmp / "listing.log")
    )
    delta = apis.enter_context(
        MockApi(mock_api, delta_data, latency_ms=args.listing_latency_ms, request_log=tmp / "delta.log")
    )
    return {
        "BENCH_LISTING_API_URL": full.url,
        "BENCH_LISTING_LOG": str(full.request_log),
        "BENCH_LISTING_PRODUCTS": str(args.listing_products),
        "BENCH_DELTA_API_URL": delta.url,
        "BENCH_DELTA_LOG": str(delta.request_log),
        "BENCH_DELTA_PRODUCTS": str(size),
        "BENCH_DELTA_CHANGES": str(args.delta_changes),
    }


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
    print("the counts created in inventory mode, then one action_apply_inventory (timed apart, the counts set):")
    print(
        "| products | changed | counts (s) | action_apply_inventory (s) | sync of the changed catalog (s) "
        "| ratio to both | ratio to the apply alone |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in result["sizes"]:
        print(
            f"| {size['products']} | {size['changed']} | {size['odoo_counts_s']:.2f} | "
            f"{size['odoo_apply_only_s']:.2f} | {size['changed_run']['seconds']:.2f} | "
            f"{size['ratio_to_odoo_apply']:.2f} x | {size['ratio_to_apply_only']:.2f} x |"
        )
    print()
    big = max(result["sizes"], key=lambda size: size["products"], default=None)
    if big:
        report_rounds(big)
    if big and big["products"] >= 10_000:
        seconds = big["changed_run"]["seconds"]
        met = "MET    " if seconds <= 12 else "NOT MET"
        print(f"{met}  {big['products']} products, {big['changed']} changed, in at most 12 s ({seconds:.2f} s)")
        ratio = big["median_ratio_to_odoo_apply"]
        met = "MET    " if ratio <= 1.3 else "NOT MET"
        print(f"{met}  the same, at most 1.3 x Odoo's own counts and apply of its changes (median {ratio:.2f} x)")
        ratio = big["median_ratio_to_apply_only"]
        met = "MET    " if ratio <= 1.3 else "NOT MET"
        print(f"{met}  the same, at most 1.3 x action_apply_inventory alone, the counts set (median {ratio:.2f} x)")
        per_product = big["unchanged_run"]["per_product_ms"]
        met = "MET    " if per_product <= 0.3 else "NOT MET"
        print(f"{met}  the unchanged catalog at most 0.3 ms a product ({per_product:.3f} ms)")

    if "listing" in result:
        report_listing(result["listing"])


def report_rounds(size):
    """Each round of the largest catalog beside Odoo's apply before and after it."""
    print(f"Rounds of {size['products']} products, Odoo's own apply of the same changes just before and after each:")
    print(
        "| round | sync (s) | " + " | ".join(PHASES) + " | action_apply_inventory before, after (s) "
        "| counts and apply before, after (s) | ratio to the apply alone | ratio to counts and apply |"
    )
    print("| --- | ---: | " + " | ".join("---:" for _ in PHASES) + " | ---: | ---: | ---: | ---: |")
    for number, round_ in enumerate(size["rounds"], 1):
        label = "first sync" if round_["first"] else f"{number}, hourly"
        before, after = round_["floors"]
        print(
            f"| {label} | {round_['seconds']:.2f} | "
            + " | ".join(f"{round_['phases_s'][phase]:.2f}" for phase in PHASES)
            + f" | {before['odoo_apply_only_s']:.2f}, "
            f"{after['odoo_apply_only_s']:.2f} | {before['odoo_apply_s']:.2f}, {after['odoo_apply_s']:.2f} | "
            f"{round_['ratio_to_apply_only']:.2f} x | {round_['ratio_to_odoo_apply']:.2f} x |"
        )
    print()


def report_listing(listing):
    """The listing mode's figures, beside the per-product mode at the same latency."""
    delta = listing["delta"]
    print()
    print(
        f"Listing mode (pages of {listing['listing_page_size']}), mock-api latency {listing['latency_ms']} ms, "
        "requests counted from mock-api's log:"
    )
    print("| mode | products | changed | seconds | requests | job runs | ratio to Odoo's apply |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    full, unchanged, per_product = listing["full_round"], listing["unchanged_round"], listing["per_product_round"]
    floor = listing["odoo_apply_s"]
    apply_only = listing["odoo_apply_only_s"]
    print(
        f"| listing, full round | {listing['products']} | {listing['changed']} | {full['seconds']:.2f} | "
        f"{full['requests']} | {full['job_runs']} | {listing['ratio_to_odoo_apply']:.2f} x |"
    )
    print(
        f"| listing, full round | {listing['products']} | 0 | {unchanged['seconds']:.2f} | "
        f"{unchanged['requests']} | {unchanged['job_runs']} | |"
    )
    print(
        f"| per product | {listing['products']} | {per_product['changed']} | {per_product['seconds']:.2f} | "
        f"{per_product['requests']} | {per_product['job_runs']} | {per_product['seconds'] / floor:.2f} x |"
    )
    first, changes = delta["first_listing"], delta["changes_round"]
    print(
        f"| listing, first full round (before the changes) | {delta['products']} | 0 | {first['seconds']:.2f} | "
        f"{first['requests']} | {first['job_runs']} | |"
    )
    print(
        f"| listing, round of changes | {delta['products']} | {delta['changed']} | {changes['seconds']:.2f} | "
        f"{changes['requests']} | 1 | |"
    )
    print(
        f"Odoo's own apply of the {listing['changed']} changes: {floor:.2f} s, "
        f"of which action_apply_inventory {apply_only:.2f} s "
        f"(the full round {listing['ratio_to_apply_only']:.2f} x the apply alone)"
    )
    print()
    ratio = listing["ratio_to_odoo_apply"]
    met = "MET    " if ratio <= 1.3 else "NOT MET"
    print(f"{met}  the full listing round at most 1.3 x Odoo's own apply of its changes ({ratio:.2f} x)")
    seconds = changes["seconds"]
    met = "MET    " if seconds < 5 else "NOT MET"
    print(f"{met}  the round of {delta['changed']} changes in {delta['products']} products under 5 s ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
