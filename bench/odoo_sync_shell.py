"""The Odoo side of bench/odoo_sync.py, run by ``odoo shell`` (``env`` is given).

Not meant to be run by hand: bench/odoo_sync.py starts mock-api with the
matching data and passes everything through the environment:

- ``BENCH_SIZES``: comma-separated catalog sizes, e.g. ``1000,10000``;
- ``BENCH_API_URL``, ``BENCH_SYNC_CLI``: where mock-api listens, which sync-cli;
- ``BENCH_BATCH_SIZE``, ``BENCH_CONCURRENCY``: settings to use (default: the addon's);
- ``BENCH_BATCH_SIZES``, ``BENCH_CONCURRENCIES``: comma-separated batch
  sizes, then concurrencies, to sync the largest catalog with afterwards, one
  in ten products changed in the API each time;
- ``BENCH_PROFILE``: when set, a file prefix for the cProfile statistics of
  two a synchronisation of the first size (changed, then unchanged), instead of
  the scheduled-action runs;
- ``BENCH_LISTING_API_URL``, ``BENCH_LISTING_LOG``: when set, a mock-api
  holding ``BENCH_LISTING_PRODUCTS`` products (one in ten changed) and its
  request log, for the listing mode's full round beside the per-product mode;
- ``BENCH_DELTA_API_URL``, ``BENCH_DELTA_LOG``, ``BENCH_DELTA_PRODUCTS``,
  ``BENCH_DELTA_CHANGES``: a mock-api holding ``BENCH_DELTA_PRODUCTS``
  products as Odoo will, stamped in the past, for the round of changes;
- ``BENCH_RESULT``: the JSON file where the figures go.
"""

# ruff: noqa: F821 -- `env` is given by `odoo shell`

import cProfile
import functools
import http.client
import itertools
import json
import logging
import os
import pstats
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

# One formula for both sides: bench/odoo_sync.py writes mock-api's data from it.
sys.path.insert(0, os.environ["BENCH_DIR"])
from benchlib import requests_logged, run_scheduled_action  # noqa: E402
from catalog import api_quantity, external_id, on_hand  # noqa: E402

from odoo.addons.stock_sync_api.engine import SyncRound, read_cli_settings, read_setting  # noqa: E402

SYNC_LOGGER = "odoo.addons.stock_sync_api.engine.batch"
PHASES = ("fetch", "compare", "apply", "bookkeeping")


def say(message):
    print(message, file=sys.stderr, flush=True)


class PhaseTimes(logging.Handler):
    """Adds up the phase timings the sync logs for each batch at DEBUG level."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.reset()

    def reset(self):
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.batches = 0

    def emit(self, record):
        timings = getattr(record, "api_sync_timings", None)
        if timings:
            self.batches += 1
            for phase in PHASES:
                self.seconds[phase] += timings.get(phase, 0.0)


def create_catalog(size, chunk=10_000):
    """``size`` storable products (variants) with external IDs and on-hand
    stock, committed (by chunks of ``chunk``, so that 100,000 fit in memory).

    With ``BENCH_VARIANTS`` N above 1, as templates of N variants each (the
    last template may have fewer), every variant with its own external ID.

    :return: ``(variants, location)``, the variants in the order of ``n``
    """
    per_template = int(os.environ.get("BENCH_VARIANTS") or 1)
    if per_template > 1:
        return create_variant_catalog(size, per_template, chunk)
    Template = env["product.template"].with_context(
        tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
    )
    # Products of another size keep their stock but leave the sync.
    env.cr.execute("UPDATE product_product SET api_external_id = NULL WHERE api_external_id IS NOT NULL")
    env.cr.execute("UPDATE product_template SET api_external_id = NULL WHERE api_external_id IS NOT NULL")
    env.invalidate_all()
    start = time.perf_counter()
    location = env.ref("stock.warehouse0").lot_stock_id
    ids = []
    for first in range(0, size, chunk):
        numbers = range(first, min(first + chunk, size))
        templates = Template.create(
            [
                {
                    "name": f"Bench product {external_id(size, n)}",
                    "is_storable": True,
                    "api_external_id": external_id(size, n),
                }
                for n in numbers
            ]
        )
        env["stock.quant"].sudo().create(
            [
                {"product_id": template.product_variant_id.id, "location_id": location.id, "quantity": on_hand(n)}
                for n, template in zip(numbers, templates, strict=True)
            ]
        )
        env.cr.commit()
        ids += templates.product_variant_id.ids
        env.invalidate_all()
    say(f"    {size} products created in {time.perf_counter() - start:.1f} s")
    return env["product.product"].browse(ids), location


def create_variant_catalog(size, per_template, chunk):
    """:func:`create_catalog` as templates of ``per_template`` variants each."""
    Template = env["product.template"].with_context(
        tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True, create_product_product=True
    )
    env.cr.execute("UPDATE product_product SET api_external_id = NULL WHERE api_external_id IS NOT NULL")
    env.cr.execute("UPDATE product_template SET api_external_id = NULL WHERE api_external_id IS NOT NULL")
    env.invalidate_all()
    start = time.perf_counter()
    location = env.ref("stock.warehouse0").lot_stock_id
    attribute = env["product.attribute"].create(
        {
            "name": f"Bench size {size}x{per_template}",
            "value_ids": [(0, 0, {"name": f"S{k}", "sequence": k}) for k in range(per_template)],
        }
    )
    ids = []
    for first in range(0, size, chunk - chunk % per_template):
        numbers = range(first, min(first + chunk - chunk % per_template, size))
        groups = [numbers[i : i + per_template] for i in range(0, len(numbers), per_template)]
        templates = Template.create(
            [
                {
                    "name": f"Bench product {external_id(size, group[0])}",
                    "is_storable": True,
                    "attribute_line_ids": [
                        (
                            0,
                            0,
                            {
                                "attribute_id": attribute.id,
                                "value_ids": [(6, 0, attribute.value_ids[: len(group)].ids)],
                            },
                        )
                    ],
                }
                for group in groups
            ]
        )
        variants = env["product.product"]
        for template in templates:
            variants |= template.product_variant_ids.sorted(lambda v: v.product_template_attribute_value_ids.name)
        rows = [(variant.id, external_id(size, n)) for variant, n in zip(variants, numbers, strict=True)]
        env.cr.execute(
            "UPDATE product_product AS p SET api_external_id = v.eid FROM (VALUES "
            + ",".join(["(%s, %s)"] * len(rows))
            + ") AS v(id, eid) WHERE p.id = v.id",
            [value for row in rows for value in row],
        )
        env["stock.quant"].sudo().create(
            [
                {"product_id": variant.id, "location_id": location.id, "quantity": on_hand(n)}
                for n, variant in zip(numbers, variants, strict=True)
            ]
        )
        env.cr.commit()
        ids += variants.ids
        env.invalidate_all()
    seconds = time.perf_counter() - start
    say(f"    {size} products created as {ceil_div(size, per_template)} templates in {seconds:.1f} s")
    return env["product.product"].browse(ids), location


def ceil_div(a, b):
    return -(-a // b)


def change_api(size, templates, expected, round_, api_url=None):
    """Change one product in ten in the stock API (through mock-api's PUT).

    :param expected: ``{n: quantity}`` the API holds, updated
    :param api_url: which mock-api (default: the per-product one)
    :return: how many products changed
    """
    changes = {}
    for n in range(round_ % 10, size, 10):
        expected[n] += 2 if (n // 10) % 2 else -1 if expected[n] >= 1 else 1
        changes[n] = expected[n]
    put_quantities(api_url or os.environ["BENCH_API_URL"], size, changes)
    return len(changes)


def put_quantities(api_url, size, quantities, connections=16):
    """Set ``{n: quantity}`` in the stock API by mock-api's PUT, on a few
    connections at once (mock-api's latency holds each PUT too)."""
    url = urlsplit(api_url)
    local = threading.local()

    def put(item):
        n, quantity = item
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        body = json.dumps({"quantity": str(quantity)})
        local.connection.request("PUT", f"/api/stock/{quote(external_id(size, n), safe='')}", body)
        response = local.connection.getresponse()
        response.read()
        return response.status

    with ThreadPoolExecutor(connections) as pool:
        statuses = set(pool.map(put, quantities.items()))
    if statuses - {200}:
        raise RuntimeError(f"mock-api answered {statuses - {200}} to PUTs")


def check(templates, location, expected, expect_moves, moves_before):
    """The sync did what it should: state, on-hand, one inventory move per change.

    :param expected: ``{n: quantity}``, what the API holds for product ``n``
    """
    env.invalidate_all()
    states = set(templates.mapped("api_sync_state"))
    if states != {"ok"}:
        raise RuntimeError(f"sync states {states}, expected only ok")
    groups = env["stock.quant"]._read_group(
        [("product_id", "in", templates.ids), ("location_id", "=", location.id)],
        ["product_id"],
        ["quantity:sum"],
    )
    quantity = {product.id: qty for product, qty in groups}
    wrong = [n for n, t in enumerate(templates) if quantity.get(t.id, 0.0) != expected[n]]
    if wrong:
        raise RuntimeError(f"{len(wrong)} products do not have the API's quantity, e.g. #{wrong[0]}")
    moves = env["stock.move"].search_count([("is_inventory", "=", True)]) - moves_before
    if moves != expect_moves:
        raise RuntimeError(f"{moves} inventory moves made, {expect_moves} expected")


def phase_figures(handler, total, count):
    seconds = dict(handler.seconds)
    seconds["other"] = max(total - sum(seconds.values()), 0.0)
    return {
        "seconds": total,
        "per_product_ms": total / count * 1000,
        "phases_s": seconds,
        "batches": handler.batches,
    }


#: Numbers the sets of twins of :func:`odoo_apply_floor`.
TWIN_SETS = itertools.count(1)


def odoo_apply_floor(size, location, changes):
    """Odoo's own batched inventory apply of the changes the sync makes: the
    same counts, on twin products without external ID, set and applied the way
    a stock manager applies a list of counts (one ``action_apply_inventory``).

    :param changes: ``{n: (on_hand, quantity)}``: product ``n`` goes from
        ``on_hand`` to the API's ``quantity``
    :return: ``{"odoo_apply_s": counts and apply, "odoo_apply_only_s": the
        apply alone, the counts set beforehand, "odoo_counts_s": the counts}``
    """
    Template = env["product.template"].with_context(
        tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
    )
    twin_set = next(TWIN_SETS)
    twins = Template.create([{"name": f"Floor twin {size}-{twin_set}-{n}", "is_storable": True} for n in changes])
    env["stock.quant"].sudo().create(
        [
            {"product_id": twin.product_variant_id.id, "location_id": location.id, "quantity": before}
            for (before, _quantity), twin in zip(changes.values(), twins, strict=True)
        ]
    )
    env.cr.commit()
    env.invalidate_all()
    start = time.perf_counter()
    Count = env["stock.quant"].with_context(inventory_mode=True, inventory_name="Floor")
    counts = Count.create(
        [
            {"product_id": twin.product_variant_id.id, "location_id": location.id, "inventory_quantity": quantity}
            for (_before, quantity), twin in zip(changes.values(), twins, strict=True)
        ]
    )
    env.flush_all()
    counted = time.perf_counter() - start
    # The apply alone starts from the counts committed, with cold caches, as
    # a batch of the sync starts.
    env.cr.commit()
    env.invalidate_all()
    start = time.perf_counter()
    counts.action_apply_inventory()
    env.flush_all()
    applied = time.perf_counter() - start
    env.cr.commit()
    say(
        f"    {size}: Odoo's own apply of the {len(changes)} changes: {counted + applied:.2f} s "
        f"(counts {counted:.2f} s, action_apply_inventory {applied:.2f} s)"
    )
    return {"odoo_apply_s": counted + applied, "odoo_apply_only_s": applied, "odoo_counts_s": counted}


def bracketed(size, location, changes, run_round):
    """Odoo's own apply of ``changes`` (see :func:`odoo_apply_floor`), right
    before and right after ``run_round()`` (the sync of the same changes),
    so that a machine slower for a minute weighs on both sides.

    :return: ``(run_round()'s result, {floor figures: the mean of the two,
        "floors": both})``
    """
    before = odoo_apply_floor(size, location, changes)
    result = run_round()
    after = odoo_apply_floor(size, location, changes)
    floors = {key: (before[key] + after[key]) / 2 for key in before}
    floors["floors"] = [before, after]
    return result, floors


def run_twice(label, templates, location, expected, changed, handler):
    """Run the scheduled action on a catalog where ``changed`` products
    differ, then again once nothing differs; check both."""
    first = sync_round(f"{label}, changed catalog", templates, location, expected, changed, handler)
    second = sync_round(f"{label}, unchanged catalog", templates, location, expected, 0, handler)
    return {"products": len(templates), "changed": changed, "changed_run": first, "unchanged_run": second}


def bench_size(size, handler, rounds):
    """The first sync of a catalog of ``size`` products, then ``rounds - 1``
    hourly rounds, a new tenth changed in the API before each; Odoo's own
    apply of the same changes measured before and after each (see
    :func:`bracketed`)."""
    expected = {n: api_quantity(size, n) for n in range(size)}
    changes = first_changes(size, expected)
    say(f"==> {size} products, {len(changes)} changed")
    templates, location = create_catalog(size)
    figures, floors = bracketed(
        size, location, changes, lambda: run_twice(f"{size}", templates, location, expected, len(changes), handler)
    )
    figures.update(with_ratios(figures["changed_run"]["seconds"], floors))
    figures["rounds"] = [round_figures(figures["changed_run"], floors, first=True)]
    for _ in range(1, rounds):
        before = dict(expected)
        changed = change_api(size, templates, expected, bench_setting.round)
        bench_setting.round += 1
        changes = {n: (before[n], expected[n]) for n in range(size) if expected[n] != before[n]}
        env.cr.commit()
        say(f"==> {size} products, hourly round, {changed} changed")
        run, floors = bracketed(
            size,
            location,
            changes,
            functools.partial(sync_round, "hourly round", templates, location, expected, changed, handler),
        )
        figures["rounds"].append(round_figures(run, floors, first=False))
    for key in ("ratio_to_apply_only", "ratio_to_odoo_apply"):
        # The median round's own ratio (the upper one of an even count).
        ratios = sorted(round_[key] for round_ in figures["rounds"])
        figures[f"median_{key}"] = ratios[len(ratios) // 2]
    return templates, location, expected, figures


def first_changes(size, expected):
    """``{n: (on_hand, quantity)}``: the products whose API quantity
    (``expected``) differs from the on-hand a new catalog starts with."""
    return {n: (on_hand(n), expected[n]) for n in range(size) if expected[n] != on_hand(n)}


def round_figures(run, floors, first):
    """A round's time and phases (``run``, from :func:`sync_round`), beside
    Odoo's applies around it (``floors``, from :func:`bracketed`)."""
    seconds = run["seconds"]
    return {"seconds": seconds, "first": first, "phases_s": run["phases_s"], **with_ratios(seconds, floors)}


def with_ratios(seconds, floors):
    """``floors`` and the ratios of a sync of ``seconds`` to them."""
    return {
        **floors,
        "ratio_to_odoo_apply": seconds / floors["odoo_apply_s"],
        "ratio_to_apply_only": seconds / floors["odoo_apply_only_s"],
    }


def sync_round(label, templates, location, expected, changes, handler):
    """One round of the scheduled action, checked: every product holds
    ``expected``, with one inventory move for each of ``changes`` products."""
    moves_before = env["stock.move"].search_count([("is_inventory", "=", True)])
    handler.reset()
    seconds, runs = run_scheduled_action(env)
    figures = phase_figures(handler, seconds, len(templates))
    figures["job_runs"] = runs
    check(templates, location, expected, changes, moves_before)
    say(f"    {label}: {seconds:.2f} s ({runs} job runs), {figures['phases_s']}")
    # Dates are stored to the second: the next round must start a second later.
    time.sleep(1.1)
    return figures


def bench_setting(key, values, templates, location, expected, handler):
    """The same catalog synced with each value of a setting, a new tenth
    changed each time; the setting is restored afterwards."""
    params = env["ir.config_parameter"].sudo()
    before = params.get_param(f"stock_sync_api.{key}")
    figures = []
    for value in values:
        params.set_param(f"stock_sync_api.{key}", value)
        changed = change_api(len(templates), templates, expected, bench_setting.round)
        bench_setting.round += 1
        env.cr.commit()
        label = f"{key.replace('_', ' ')} {value}"
        say(f"==> {label}: {len(templates)} products, {changed} changed")
        result = run_twice(label, templates, location, expected, changed, handler)
        result[key] = value
        figures.append(result)
    params.set_param(f"stock_sync_api.{key}", before)
    env.cr.commit()
    return figures


bench_setting.round = 1


def sync(templates):
    """Sync ``templates`` in one transaction, as the button does."""
    return SyncRound(env["stock.sync.run"]._start("manual", templates)).sync(templates)


def profile(size, prefix):
    """cProfile statistics of a synchronisation of a fresh catalog of ``size``
    products, one in ten changed, then again with none changed."""
    templates, _location = create_catalog(size)
    result = {"products": size}
    for label in ("changed", "unchanged"):
        env.invalidate_all()
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        sync(templates.browse(templates.ids))
        profiler.disable()
        seconds = time.perf_counter() - start
        env.cr.commit()
        path = f"{prefix}.{label}.prof"
        profiler.dump_stats(path)
        say(f"==> synchronisation of {size} products ({label}) under cProfile: {seconds:.2f} s; statistics in {path}")
        stats = pstats.Stats(path, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(25)
        result[label] = {"profiled_seconds": seconds, "stats_file": path}
    return result


def set_api(url, mode):
    """Point the sync at ``url`` and ask it in ``mode`` (per_product or listing)."""
    params = env["ir.config_parameter"].sudo()
    params.set_param("stock_sync_api.base_url", url)
    params.set_param("stock_sync_api.fetch_mode", mode)
    env.cr.commit()


def timed_round(handler, size, request_log):
    """One scheduled round, as the scheduler runs it: its figures with the
    GET requests mock-api answered meanwhile."""
    before = requests_logged(request_log)
    handler.reset()
    seconds, runs = run_scheduled_action(env)
    figures = phase_figures(handler, seconds, size)
    figures["job_runs"] = runs
    figures["requests"] = requests_logged(request_log) - before
    return figures


def bench_listing(handler, floors):
    """The listing mode (mock-api at ``BENCH_LISTING_LATENCY_MS``), beside
    the per-product mode at the same latency:

    1. a fresh catalog of ``BENCH_LISTING_PRODUCTS`` products, one in ten
       changed: a full round in listing mode, then again unchanged;
    2. a new tenth changed in the API: a round in per-product mode;
    3. a catalog of ``BENCH_DELTA_PRODUCTS`` products listed in full once
       (the first listing, timed apart), then ``BENCH_DELTA_CHANGES`` of them
       changed in the API: the round of changes, timed.

    :param floors: ``{size: figures}`` of Odoo's own apply measured already
        (see :func:`odoo_apply_floor`)
    """
    url, request_log = os.environ["BENCH_LISTING_API_URL"], os.environ["BENCH_LISTING_LOG"]
    size = int(os.environ["BENCH_LISTING_PRODUCTS"])
    expected = {n: api_quantity(size, n) for n in range(size)}
    changes = first_changes(size, expected)
    changed = len(changes)
    say(f"==> listing mode: {size} products, {changed} changed")
    templates, location = create_catalog(size)
    set_api(url, "listing")
    moves_before = env["stock.move"].search_count([("is_inventory", "=", True)])
    full = timed_round(handler, size, request_log)
    check(templates, location, expected, changed, moves_before)
    say(f"    full listing round: {full['seconds']:.2f} s, {full['requests']} requests, {full['job_runs']} job runs")
    time.sleep(1.1)
    unchanged = timed_round(handler, size, request_log)
    check(templates, location, expected, changed, moves_before)
    say(f"    unchanged: {unchanged['seconds']:.2f} s, {unchanged['requests']} requests")
    time.sleep(1.1)
    if size not in floors:
        floors[size] = odoo_apply_floor(size, location, changes)
    figures = {
        "products": size,
        "changed": changed,
        "listing_page_size": read_setting(env, "listing_page_size"),
        "full_round": full,
        "unchanged_round": unchanged,
        **floors[size],
        "ratio_to_odoo_apply": full["seconds"] / floors[size]["odoo_apply_s"],
        "ratio_to_apply_only": full["seconds"] / floors[size]["odoo_apply_only_s"],
    }
    # The per-product mode at the same latency, a new tenth changed.
    per_product_changed = change_api(size, templates, expected, 1, api_url=url)
    set_api(url, "per_product")
    moves_before = env["stock.move"].search_count([("is_inventory", "=", True)])
    per_product = timed_round(handler, size, request_log)
    per_product["changed"] = per_product_changed
    check(templates, location, expected, per_product_changed, moves_before)
    say(f"    per-product round: {per_product['seconds']:.2f} s, {per_product['requests']} requests")
    figures["per_product_round"] = per_product
    time.sleep(1.1)
    figures["delta"] = bench_delta(handler)
    return figures


def bench_delta(handler):
    """A round of changes of ``BENCH_DELTA_CHANGES`` products among
    ``BENCH_DELTA_PRODUCTS``, after a first full listing."""
    url, request_log = os.environ["BENCH_DELTA_API_URL"], os.environ["BENCH_DELTA_LOG"]
    size = int(os.environ["BENCH_DELTA_PRODUCTS"])
    count = int(os.environ["BENCH_DELTA_CHANGES"])
    # mock-api holds what Odoo holds, stamped a day ago.
    expected = {n: on_hand(n) for n in range(size)}
    say(f"==> round of changes: {size} products, {count} changed after a full listing")
    templates, location = create_catalog(size)
    set_api(url, "listing")
    moves_before = env["stock.move"].search_count([("is_inventory", "=", True)])
    first = timed_round(handler, size, request_log)
    check(templates, location, expected, 0, moves_before)
    say(f"    first full listing (not the figure): {first['seconds']:.2f} s, {first['requests']} requests")
    time.sleep(1.1)
    step = size // count
    changes = {n: expected[n] + 5 for n in range(0, step * count, step)}
    put_quantities(url, size, changes)
    expected.update(changes)
    # The figure is that of the round applying its changes, whatever the
    # brake's settings: its change limit is lifted for this round only.
    params = env["ir.config_parameter"].sudo()
    hold_change_percent = params.get_param("stock_sync_api.hold_change_percent")
    params.set_param("stock_sync_api.hold_change_percent", "100")
    env.cr.commit()
    Run = env["stock.sync.run"].sudo()
    last_run = Run.search([], order="id desc", limit=1).id
    cron = env.ref("stock_sync_api.ir_cron_api_sync_changes")
    before = requests_logged(request_log)
    handler.reset()
    start = time.perf_counter()
    result = cron.method_direct_trigger()
    env.cr.commit()
    seconds = time.perf_counter() - start
    if result is not True:
        raise RuntimeError(f"the round of changes failed: {result}")
    requests = requests_logged(request_log) - before
    params.set_param("stock_sync_api.hold_change_percent", hold_change_percent)
    env.cr.commit()
    env.invalidate_all()
    runs = Run.search([("id", ">", last_run)])
    if runs.mapped("trigger") != ["changes"] or runs.state != "done":
        raise RuntimeError(f"the round of changes left runs {runs.mapped('trigger')} in {runs.mapped('state')}")
    changed = templates.browse([templates.ids[n] for n in changes])
    check(changed, location, {i: expected[n] for i, n in enumerate(changes)}, count, moves_before)
    say(f"    round of changes: {seconds:.2f} s, {requests} requests, {runs.product_count} products synced")
    return {
        "products": size,
        "changed": count,
        "first_listing": first,
        "changes_round": {
            "seconds": seconds,
            "requests": requests,
            "products_synced": runs.product_count,
            "phases_s": phase_figures(handler, seconds, count)["phases_s"],
        },
    }


def main():
    params = env["ir.config_parameter"].sudo()
    params.set_param("stock_sync_api.base_url", os.environ["BENCH_API_URL"])
    params.set_param("stock_sync_api.cli_path", os.environ["BENCH_SYNC_CLI"])
    for key in ("batch_size", "concurrency"):
        value = os.environ.get(f"BENCH_{key.upper()}")
        params.set_param(f"stock_sync_api.{key}", value or False)
    result = {
        "batch_size": read_setting(env, "batch_size"),
        "concurrency": read_cli_settings(env).concurrency,
        "sizes": [],
    }
    env.cr.commit()
    sizes = [int(size) for size in os.environ["BENCH_SIZES"].split(",") if size]
    if os.environ.get("BENCH_PROFILE"):
        result["profile"] = profile(sizes[0], os.environ["BENCH_PROFILE"])
    else:
        handler = PhaseTimes()
        logger = logging.getLogger(SYNC_LOGGER)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        rounds = int(os.environ.get("BENCH_ROUNDS") or 1)
        for size in sizes:
            templates, location, expected, figures = bench_size(size, handler, rounds if size == max(sizes) else 1)
            result["sizes"].append(figures)
        for key, variable in (("batch_size", "BENCH_BATCH_SIZES"), ("concurrency", "BENCH_CONCURRENCIES")):
            values = [int(v) for v in os.environ.get(variable, "").split(",") if v]
            if values:
                result[f"{key}_sweep"] = bench_setting(key, values, templates, location, expected, handler)
        if os.environ.get("BENCH_LISTING_API_URL"):
            floor_keys = ("odoo_apply_s", "odoo_apply_only_s", "odoo_counts_s", "floors")
            floors = {size["products"]: {key: size[key] for key in floor_keys} for size in result["sizes"]}
            result["listing"] = bench_listing(handler, floors)
    with open(os.environ["BENCH_RESULT"], "w", encoding="utf-8") as out:
        json.dump(result, out, indent=2)


main()
