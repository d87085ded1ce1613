#!/usr/bin/env python3
"""Benchmark of ``sync-cli fetch`` against mock-api: wall time, baseline, memory.

    python3 bench/fetch.py            # or: make bench-fetch

1. 10,000 IDs, mock-api answering after 20 ms, concurrency 64: wall time of
   ``sync-cli fetch`` (median of several runs) against the limit
   N x latency / concurrency, and against a Python thread pool of the same
   size doing the same GETs on keep-alive connections (``requests``, one
   ``Session`` per thread; ``pip install -r bench/requirements.txt``).
2. The same 10,000 IDs at other concurrencies (what the default is chosen from).
3. Peak memory (maximum resident set size, GNU ``time -v``) of
   ``sync-cli fetch`` with 100,000 IDs on stdin, mock-api answering at once.

Prints a table and writes every figure to ``bench/out/fetch.json``.

Environment: ``BENCH_RUNS`` (runs per figure, default 5), ``SYNC_CLI_BIN`` and
``MOCK_API_BIN`` (use these builds instead of building the release ones).
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import benchlib
from benchlib import MockApi, log, summary

IDS = 10_000
LATENCY_MS = 20
CONCURRENCY = 64
MEMORY_IDS = 100_000
SWEEP = (8, 16, 32, 64, 128)
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def product_id(n):
    return f"BENCH-{n:06d}"


def sync_cli_run(sync_cli, url, ids_file, concurrency):
    """Seconds one ``sync-cli fetch`` of the IDs in ``ids_file`` takes; checks its output."""
    with open(ids_file, "rb") as stdin:
        seconds, done = benchlib.wall(
            [sync_cli, "fetch", "--base-url", url, "--concurrency", str(concurrency)],
            stdin=stdin,
            capture_output=True,
        )
    lines = done.stdout.count(b"\n")
    ok = done.stdout.count(b'"status":"ok"')
    if done.returncode != 0 or ok != lines:
        raise RuntimeError(f"sync-cli exited {done.returncode} with {ok} ok of {lines}: {done.stderr[-500:]!r}")
    return seconds


def python_pool_run(url, ids, concurrency):
    """Seconds a thread pool of ``concurrency`` threads takes for the same GETs.

    Each thread keeps one ``requests.Session`` (a keep-alive connection) and
    parses each JSON answer, as sync-cli does.
    """
    import requests  # noqa: PLC0415 -- only this benchmark needs it

    local = threading.local()

    def get(external_id):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        response = session.get(f"{url}/api/stock/{external_id}", timeout=10)
        response.raise_for_status()
        return float(response.json()["quantity"])

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        quantities = list(pool.map(get, ids))
    seconds = time.perf_counter() - start
    if len(quantities) != len(ids):
        raise RuntimeError("the thread pool lost answers")
    return seconds


def peak_memory_kib(sync_cli, url, ids_file, concurrency):
    """Maximum resident set size of one ``sync-cli fetch`` run, in KiB."""
    time_bin = benchlib.gnu_time()
    # Write-only: sync-cli takes a stdout on /dev/null opened for reading and
    # writing (subprocess.DEVNULL) for a closed one, and fails the run.
    with open(ids_file, "rb") as stdin, open(os.devnull, "wb") as devnull:
        done = subprocess.run(
            [time_bin, "-v", sync_cli, "fetch", "--base-url", url, "--concurrency", str(concurrency)],
            stdin=stdin,
            stdout=devnull,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"sync-cli exited {done.returncode}: {done.stderr[-500:]}")
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))


def main():
    try:
        import requests  # noqa: F401, PLC0415
    except ImportError:
        sys.exit("bench/fetch.py needs requests: pip install -r bench/requirements.txt")
    if not benchlib.gnu_time():
        sys.exit("bench/fetch.py needs GNU time (/usr/bin/time; Debian package `time`)")
    sync_cli, mock_api = benchlib.release_binaries()
    result = {"machine": benchlib.machine(), "runs": RUNS}
    with tempfile.TemporaryDirectory(prefix="bench_fetch_") as tmp:
        tmp = Path(tmp)
        data = tmp / "products.json"
        benchlib.write_products(data, [(product_id(n), n % 97) for n in range(MEMORY_IDS)])
        ids = [product_id(n) for n in range(IDS)]
        ids_file = tmp / "ids.txt"
        ids_file.write_text("".join(f"{i}\n" for i in ids))
        many_ids_file = tmp / "many_ids.txt"
        many_ids_file.write_text("".join(f"{product_id(n)}\n" for n in range(MEMORY_IDS)))

        with MockApi(mock_api, data, latency_ms=LATENCY_MS) as api:
            limit = IDS * LATENCY_MS / 1000 / CONCURRENCY
            log(f"==> {IDS} IDs, latency {LATENCY_MS} ms, concurrency {CONCURRENCY} (limit {limit:.3f} s)")
            sync_cli_run(sync_cli, api.url, ids_file, CONCURRENCY)  # warm-up
            python_pool_run(api.url, ids[:1000], CONCURRENCY)  # warm-up
            cli_times, pool_times = [], []
            for run in range(RUNS):
                # Interleaved, so that a noisy neighbour hurts both alike.
                cli_times.append(sync_cli_run(sync_cli, api.url, ids_file, CONCURRENCY))
                pool_times.append(python_pool_run(api.url, ids, CONCURRENCY))
                log(f"    run {run + 1}: sync-cli {cli_times[-1]:.3f} s, Python pool {pool_times[-1]:.3f} s")
            result["fetch"] = {
                "ids": IDS,
                "latency_ms": LATENCY_MS,
                "concurrency": CONCURRENCY,
                "limit_s": limit,
                "target_s": 1.25 * limit,
                "sync_cli_s": summary(cli_times),
                "python_pool_s": summary(pool_times),
            }
            log(f"==> concurrency sweep {SWEEP}")
            sweep = {}
            for concurrency in SWEEP:
                times = [sync_cli_run(sync_cli, api.url, ids_file, concurrency) for _ in range(max(RUNS // 2, 1))]
                sweep[concurrency] = {
                    "limit_s": IDS * LATENCY_MS / 1000 / concurrency,
                    "sync_cli_s": summary(times),
                }
                log(f"    concurrency {concurrency}: {sweep[concurrency]['sync_cli_s']['median']:.3f} s")
            result["sweep"] = sweep

        with MockApi(mock_api, data, latency_ms=0) as api:
            log(f"==> peak memory, {MEMORY_IDS} IDs, latency 0, concurrency {CONCURRENCY}")
            rss = [peak_memory_kib(sync_cli, api.url, many_ids_file, CONCURRENCY) for _ in range(3)]
            result["memory"] = {
                "ids": MEMORY_IDS,
                "concurrency": CONCURRENCY,
                "max_rss_mib": summary([kib / 1024 for kib in rss]),
                "target_mib": 30,
            }
    report(result)
    log(f"figures written to {benchlib.save('fetch', result)}")


def report(result):
    fetch, memory, machine = result["fetch"], result["memory"], result["machine"]
    cli, pool = fetch["sync_cli_s"]["median"], fetch["python_pool_s"]["median"]
    rss = memory["max_rss_mib"]["median"]
    print(f"machine: {machine['cores']} cores, {machine['cpu']}, {machine['memory']}, {machine['date']}")
    print(f"figures: medians of {result['runs']} runs")
    print()
    print(f"| {fetch['ids']} IDs, {fetch['latency_ms']} ms latency, concurrency {fetch['concurrency']} | seconds |")
    print("| --- | ---: |")
    print(f"| limit N x latency / concurrency | {fetch['limit_s']:.3f} |")
    print(f"| target (1.25 x limit) | {fetch['target_s']:.3f} |")
    print(f"| sync-cli fetch | {cli:.3f} ({cli / fetch['limit_s']:.2f} x limit) |")
    print(f"| Python ThreadPoolExecutor + requests.Session | {pool:.3f} ({pool / fetch['limit_s']:.2f} x limit) |")
    print()
    print("| concurrency | limit (s) | sync-cli (s) |")
    print("| ---: | ---: | ---: |")
    for concurrency, figures in result["sweep"].items():
        print(f"| {concurrency} | {figures['limit_s']:.3f} | {figures['sync_cli_s']['median']:.3f} |")
    print()
    print(f"peak memory of sync-cli fetch, {memory['ids']} IDs: {rss:.1f} MiB (target {memory['target_mib']} MiB)")
    print()
    checks = [
        (f"sync-cli within 1.25 x limit ({cli:.2f} <= {fetch['target_s']:.2f} s)", cli <= fetch["target_s"]),
        (f"sync-cli faster than the Python pool ({cli:.2f} < {pool:.2f} s)", cli < pool),
        (f"peak memory at most 30 MiB ({rss:.1f} MiB)", rss <= memory["target_mib"]),
    ]
    for text, met in checks:
        print(f"{'MET    ' if met else 'NOT MET'}  {text}")


if __name__ == "__main__":
    main()
