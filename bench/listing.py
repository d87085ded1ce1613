#!/usr/bin/env python3
"""Benchmark of ``sync-cli list`` against mock-api: the listing against one request per ID.

    python3 bench/listing.py

1. 100,000 products, mock-api answering after 20 ms: wall time and requests
   sent of ``sync-cli list`` (pages of 500, the default, and of 1,000,
   mock-api's largest) against ``sync-cli fetch --concurrency 32`` of the same
   100,000 IDs. Every run's output is checked: one ``ok`` line per product
   (and the ``complete`` trailer for ``list``).
2. A delta: 100 products changed by PUT after a full listing, then
   ``sync-cli list --since <the full listing's server_time>``: records and
   requests.
3. Peak memory (maximum resident set size, GNU ``time -v``) of
   ``sync-cli list`` over 100,000 and 1,000,000 products, mock-api answering
   at once: memory must stay flat whatever the listing's length. The same
   for one record per product and location: ``--location-field /location``
   over mock-api's ``/api/levels``, 1,000,000 records (333,334 products in
   three locations), each run's records counted.

Prints a table and writes every figure to ``bench/out/listing.json``.

Environment: ``BENCH_RUNS`` (runs per ``list`` figure, default 3; ``fetch``
runs once, it takes a minute), ``SYNC_CLI_BIN`` and ``MOCK_API_BIN`` (use these
builds instead of building the release ones).
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import benchlib
from benchlib import MockApi, log, summary

PRODUCTS = 100_000
LATENCY_MS = 20
FETCH_CONCURRENCY = 32
PAGE_SIZES = (500, 1000)
DELTA = 100
MEMORY_PRODUCTS = (100_000, 1_000_000)
MEMORY_TARGET_MIB = 30
#: The listing of one record per product and location: its records, and its locations.
LEVELS_RECORDS = 1_000_000
LEVELS_LOCATIONS = ("PARIS", "LYON", "NICE")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def product_id(n):
    return f"BENCH-{n:07d}"


def list_run(sync_cli, url, *args):
    """``(seconds, records, pages, server_time)`` of one complete ``sync-cli list``."""
    seconds, done = benchlib.wall([sync_cli, "list", "--base-url", url, *args], capture_output=True)
    lines = done.stdout.splitlines()
    trailer = json.loads(lines[-1]) if lines else {}
    ok = done.stdout.count(b'"status":"ok"')
    if done.returncode != 0 or trailer.get("listing") != "complete" or ok != len(lines) - 1:
        raise RuntimeError(
            f"sync-cli list exited {done.returncode}, {ok} ok of {len(lines) - 1}, "
            f"trailer {trailer}: {done.stderr[-500:]!r}"
        )
    return seconds, trailer["records"], trailer["pages"], trailer["server_time"]


def fetch_run(sync_cli, url, ids_file):
    """``(seconds, requests)`` of one ``sync-cli fetch``; every ID must be ok."""
    with open(ids_file, "rb") as stdin:
        seconds, done = benchlib.wall(
            [sync_cli, "fetch", "--base-url", url, "--concurrency", str(FETCH_CONCURRENCY)],
            stdin=stdin,
            capture_output=True,
        )
    lines = done.stdout.splitlines()
    ok = done.stdout.count(b'"status":"ok"')
    if done.returncode != 0 or ok != PRODUCTS or len(lines) != PRODUCTS:
        raise RuntimeError(f"sync-cli fetch exited {done.returncode} with {ok} ok: {done.stderr[-500:]!r}")
    requests = sum(json.loads(line)["attempts"] for line in lines)
    return seconds, requests


def put_quantity(url, external_id, quantity):
    request = urllib.request.Request(
        f"{url}/api/stock/{external_id}",
        data=json.dumps({"quantity": str(quantity)}).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def peak_memory_kib(sync_cli, url, *args, output=os.devnull):
    """Maximum resident set size of one complete ``sync-cli list``, in KiB.

    :param args: more of ``list``'s options
    :param output: where its records go
    """
    time_bin = benchlib.gnu_time()
    # Write-only: sync-cli takes a stdout on /dev/null opened for reading and
    # writing (subprocess.DEVNULL) for a closed one, and fails the run.
    with open(output, "wb") as out:
        done = subprocess.run(
            [time_bin, "-v", sync_cli, "list", "--base-url", url, "--page-size", "1000", *args],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"sync-cli list exited {done.returncode}: {done.stderr[-500:]}")
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))


def levels_memory(sync_cli, mock_api, tmp):
    """Peak memory of ``sync-cli list --location-field /location`` over
    mock-api's ``/api/levels`` (:data:`LEVELS_RECORDS` records), each run's
    records counted: one per product and location, and the trailer."""
    products = -(-LEVELS_RECORDS // len(LEVELS_LOCATIONS))
    data = tmp / "levels.json"
    log(f"==> writing {products} products in {len(LEVELS_LOCATIONS)} locations")
    with open(data, "w", encoding="utf-8") as out:
        json.dump(
            [
                {
                    "product_id": product_id(n),
                    "locations": [{"location": code, "quantity": str(n % 97)} for code in LEVELS_LOCATIONS],
                }
                for n in range(products)
            ],
            out,
        )
    output = tmp / "levels.jsonl"
    rss = []
    with MockApi(mock_api, data, latency_ms=0) as api:
        log(f"==> peak memory of list --location-field, {products * len(LEVELS_LOCATIONS)} records, pages of 1000")
        for _ in range(RUNS):
            args = ("--endpoint", "/api/levels", "--location-field", "/location")
            rss.append(peak_memory_kib(sync_cli, api.url, *args, output=output) / 1024)
            with open(output, "rb") as records:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: records.read(1 << 20), b""))
            if lines != products * len(LEVELS_LOCATIONS) + 1:
                raise RuntimeError(f"list --location-field printed {lines} lines")
    figures = {"records": products * len(LEVELS_LOCATIONS), "products": products, "max_rss_mib": summary(rss)}
    log(f"    {figures['max_rss_mib']['median']:.1f} MiB")
    return figures


def main():
    if not benchlib.gnu_time():
        sys.exit("bench/listing.py needs GNU time (/usr/bin/time; Debian package `time`)")
    sync_cli, mock_api = benchlib.release_binaries()
    result = {"machine": benchlib.machine(), "runs": RUNS}
    with tempfile.TemporaryDirectory(prefix="bench_listing_") as tmp:
        tmp = Path(tmp)
        data = tmp / "products.json"
        benchlib.write_products(data, [(product_id(n), n % 97) for n in range(PRODUCTS)])
        ids_file = tmp / "ids.txt"
        ids_file.write_text("".join(f"{product_id(n)}\n" for n in range(PRODUCTS)))

        with MockApi(mock_api, data, latency_ms=LATENCY_MS) as api:
            log(f"==> {PRODUCTS} products, latency {LATENCY_MS} ms")
            comparison = {}
            for size in PAGE_SIZES:
                times = []
                for run in range(RUNS):
                    seconds, records, pages, _ = list_run(sync_cli, api.url, "--page-size", str(size))
                    if records != PRODUCTS:
                        raise RuntimeError(f"list gave {records} records")
                    times.append(seconds)
                    log(f"    list --page-size {size}, run {run + 1}: {seconds:.2f} s, {pages} requests")
                comparison[f"list_page_size_{size}"] = {"seconds": summary(times), "requests": pages}
            seconds, requests = fetch_run(sync_cli, api.url, ids_file)
            log(f"    fetch --concurrency {FETCH_CONCURRENCY}: {seconds:.2f} s, {requests} requests")
            comparison[f"fetch_concurrency_{FETCH_CONCURRENCY}"] = {
                "seconds": summary([seconds]),
                "requests": requests,
            }
            result["comparison"] = {"products": PRODUCTS, "latency_ms": LATENCY_MS, "runs": comparison}

            log(f"==> delta: {DELTA} products changed after a full listing")
            _, _, _, server_time = list_run(sync_cli, api.url)
            for n in range(0, PRODUCTS, PRODUCTS // DELTA):
                put_quantity(api.url, product_id(n), 1000 + n % 7)
            seconds, records, pages, _ = list_run(sync_cli, api.url, "--since", server_time)
            log(f"    list --since {server_time}: {records} records, {pages} requests, {seconds:.2f} s")
            result["delta"] = {"changed": DELTA, "records": records, "requests": pages, "seconds": seconds}

        memory = {}
        for count in MEMORY_PRODUCTS:
            if count == PRODUCTS:
                big = data
            else:
                big = tmp / f"products_{count}.json"
                log(f"==> writing {count} products")
                benchlib.write_products(big, [(product_id(n), n % 97) for n in range(count)])
            with MockApi(mock_api, big, latency_ms=0) as api:
                log(f"==> peak memory of list, {count} records, latency 0, pages of 1000")
                rss = [peak_memory_kib(sync_cli, api.url) for _ in range(RUNS)]
                memory[count] = {"max_rss_mib": summary([kib / 1024 for kib in rss])}
                log(f"    {memory[count]['max_rss_mib']['median']:.1f} MiB")
        result["memory"] = {
            "target_mib": MEMORY_TARGET_MIB,
            "records": memory,
            "levels": levels_memory(sync_cli, mock_api, tmp),
        }
    report(result)
    log(f"figures written to {benchlib.save('listing', result)}")


def report(result):
    machine = result["machine"]
    comparison = result["comparison"]
    print(f"machine: {machine['cores']} cores, {machine['cpu']}, {machine['memory']}, {machine['date']}")
    print(f"figures: medians of {result['runs']} runs (fetch: one run)")
    print()
    print(f"| {comparison['products']} products, {comparison['latency_ms']} ms latency | seconds | requests |")
    print("| --- | ---: | ---: |")
    runs = comparison["runs"]
    for name, figures in runs.items():
        label = {
            "list_page_size_500": "sync-cli list (pages of 500, the default)",
            "list_page_size_1000": "sync-cli list --page-size 1000",
        }.get(name, f"sync-cli fetch --concurrency {FETCH_CONCURRENCY}")
        print(f"| {label} | {figures['seconds']['median']:.2f} | {figures['requests']} |")
    delta = result["delta"]
    print(
        f"| sync-cli list --since (after {delta['changed']} changes) | {delta['seconds']:.2f} | {delta['requests']} |"
    )
    print()
    print("| records | peak memory of sync-cli list |")
    print("| ---: | ---: |")
    for count, figures in result["memory"]["records"].items():
        print(f"| {count} | {figures['max_rss_mib']['median']:.1f} MiB |")
    levels = result["memory"]["levels"]
    print(f"| {levels['records']}, one per product and location | {levels['max_rss_mib']['median']:.1f} MiB |")
    print()
    fetch = runs[f"fetch_concurrency_{FETCH_CONCURRENCY}"]["seconds"]["median"]
    listing = runs["list_page_size_500"]["seconds"]["median"]
    target = result["memory"]["target_mib"]
    checks = [
        (f"list faster than fetch ({listing:.2f} < {fetch:.2f} s)", listing < fetch),
        (
            f"the delta lists the {delta['changed']} changes ({delta['records']} records)",
            delta["records"] == delta["changed"],
        ),
    ]
    for count, figures in result["memory"]["records"].items():
        rss = figures["max_rss_mib"]["median"]
        checks.append((f"peak memory at {count} records under {target} MiB ({rss:.1f} MiB)", rss < target))
    rss = levels["max_rss_mib"]["median"]
    checks.append(
        (f"peak memory at {levels['records']} records per location under {target} MiB ({rss:.1f} MiB)", rss < target)
    )
    for text, met in checks:
        print(f"{'MET    ' if met else 'NOT MET'}  {text}")


if __name__ == "__main__":
    main()
