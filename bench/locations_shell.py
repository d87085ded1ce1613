"""The Odoo side of bench/locations.py, run by ``odoo shell`` (``env`` is given).

Not meant to be run by hand: bench/locations.py starts mock-api with the
matching data and passes everything through the environment
(``BENCH_PRODUCTS``, ``BENCH_CHANGED``, ``BENCH_API_URL``, ``BENCH_SYNC_CLI``,
``BENCH_DIR``, ``BENCH_RESULT``).
"""

# ruff: noqa: F821 -- `env` is given by `odoo shell`

import cProfile
import io
import json
import logging
import os
import pstats
import sys
import time

sys.path.insert(0, os.environ["BENCH_DIR"])
from benchlib import run_scheduled_action  # noqa: E402
from locations import CODES, changed, external_id  # noqa: E402

PRODUCTS = int(os.environ["BENCH_PRODUCTS"])
CHANGED = int(os.environ["BENCH_CHANGED"])
#: The same catalog in one location, without mappings: the sync as before.
NO_MAPPINGS = bool(os.environ.get("BENCH_NO_MAPPINGS"))
CHUNK = 1000

SYNC_LOGGER = "odoo.addons.stock_sync_api.engine.batch"
PHASES = ("fetch", "compare", "apply", "bookkeeping")


class PhaseTimes(logging.Handler):
    """Adds up the phase timings the sync logs for each batch at DEBUG level."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seconds = dict.fromkeys(PHASES, 0.0)

    def emit(self, record):
        for phase, seconds in (getattr(record, "api_sync_timings", None) or {}).items():
            self.seconds[phase] += seconds


def say(message):
    print(message, file=sys.stderr, flush=True)


def setup():
    """The three mapped locations, the catalog and its twins, 10 units each in each location."""
    params = env["ir.config_parameter"].sudo()
    params.set_param("stock_sync_api.base_url", os.environ["BENCH_API_URL"])
    params.set_param("stock_sync_api.cli_path", os.environ["BENCH_SYNC_CLI"])
    Warehouse = env["stock.warehouse"]
    locations = [
        env.ref("stock.warehouse0").lot_stock_id,
        Warehouse.create({"name": "Bench Lyon", "code": "BLY"}).lot_stock_id,
        Warehouse.create({"name": "Bench Nice", "code": "BNI"}).lot_stock_id,
    ]
    env["stock.sync.location"].with_context(active_test=False).search([]).unlink()
    if NO_MAPPINGS:
        # The changes go where the API's total goes: the company's sync location.
        locations = [locations[0]]
    else:
        env["stock.sync.location"].create(
            [{"code": c, "location_id": loc.id} for c, loc in zip(CODES, locations, strict=True)]
        )
    Template = env["product.template"].with_context(
        tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
    )
    Quant = env["stock.quant"].sudo()
    products, twins = [], {"before": [], "after": []}
    start = time.perf_counter()
    for first in range(0, PRODUCTS, CHUNK):
        numbers = range(first, min(first + CHUNK, PRODUCTS))
        synced = Template.create(
            [
                {"name": f"Bench {external_id(n)}", "is_storable": True, "api_external_id": external_id(n)}
                for n in numbers
            ]
        ).product_variant_id
        # Twins of the changed products only: Odoo's apply counts no other.
        new_twins = env["product.product"]
        for when in twins:
            twin = Template.create(
                [
                    {"name": f"Twin {when} {external_id(n)}", "is_storable": True}
                    for n in numbers
                    if changed(n, PRODUCTS, CHANGED)
                ]
            ).product_variant_id
            twins[when] += twin.ids
            new_twins += twin
        Quant.create(
            [
                {"product_id": p.id, "location_id": loc.id, "quantity": 10.0}
                for p in synced + new_twins
                for loc in locations
            ]
        )
        products += synced.ids
        env.cr.commit()
        env.invalidate_all()
    say(f"catalog of {PRODUCTS} products and twins of the changed ones in {time.perf_counter() - start:.0f} s")
    twins = {when: env["product.product"].browse(ids) for when, ids in twins.items()}
    return env["product.product"].browse(products), twins, locations


def odoo_apply(twins, nice, profile_as):
    """Odoo's own apply of the same changes: counts created in inventory mode,
    then one apply, timed apart (the apply starts from the counts committed).

    :param twins: twins of the changed products
    :param profile_as: the profile's file name, with ``--profile``
    :return: ``(counts' seconds, apply's seconds, counts)``
    """
    Count = env["stock.quant"].with_context(inventory_mode=True, inventory_name="Floor")
    start = time.perf_counter()
    counts = Count.create(
        [{"product_id": twin.id, "location_id": nice.id, "inventory_quantity": 12.0} for twin in twins]
    )
    env.flush_all()
    counted = time.perf_counter() - start
    env.cr.commit()
    env.invalidate_all()
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    start = time.perf_counter()
    if profile:
        profile.runcall(counts.action_apply_inventory)
    else:
        counts.action_apply_inventory()
    env.flush_all()
    applied = time.perf_counter() - start
    if profile:
        profile.dump_stats(os.path.join(os.environ["BENCH_DIR"], "out", profile_as))
    env.cr.commit()
    return counted, applied, len(counts)


def check(products, locations):
    """Every product holds the API's quantity in each location."""
    Quant = env["stock.quant"]
    wrong = 0
    # Without mappings, the one location gets what NICE gets with them.
    for loc, code in zip(locations, ("NICE",) if NO_MAPPINGS else CODES, strict=True):
        on_hand = dict(
            Quant._read_group(
                [("product_id", "in", products.ids), ("location_id", "=", loc.id)], ["product_id"], ["quantity:sum"]
            )
        )
        for n, product in enumerate(products):
            expected = 12.0 if code == "NICE" and changed(n, PRODUCTS, CHANGED) else 10.0
            wrong += on_hand.get(product, 0.0) != expected
    return wrong


products, twins, locations = setup()
# Odoo's own apply right before and right after the round, on twins of its
# own each time: a machine slower for a minute weighs on both sides.
floors = [odoo_apply(twins["before"], locations[-1], "locations_floor_before.prof")]
phases = PhaseTimes()
logger = logging.getLogger(SYNC_LOGGER)
logger.addHandler(phases)
logger.setLevel(logging.DEBUG)
if os.environ.get("BENCH_PROFILE"):
    profile = cProfile.Profile()
    seconds, job_runs = profile.runcall(run_scheduled_action, env)
    profile.dump_stats(os.path.join(os.environ["BENCH_DIR"], "out", "locations.prof"))
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text).sort_stats("cumulative")
    stats.print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    print(text.getvalue(), flush=True)
else:
    seconds, job_runs = run_scheduled_action(env)
logger.setLevel(logging.NOTSET)
say("phases: " + ", ".join(f"{phase} {value:.1f} s" for phase, value in phases.seconds.items()))
run = env["stock.sync.run"].search([("trigger", "=", "cron")], order="id desc", limit=1)
say(f"round: {seconds:.1f} s, {run.state}, {run.changed_count} changed, {run.error_count} errors")
floors.append(odoo_apply(twins["after"], locations[-1], "locations_floor_after.prof"))
for when, (counts_s, apply_s, counted) in zip(("before", "after"), floors, strict=True):
    say(
        f"Odoo's own apply of {counted} counts {when}: {counts_s + apply_s:.1f} s "
        f"(action_apply_inventory {apply_s:.1f} s)"
    )
counts_s, apply_s = (sum(floor[i] for floor in floors) / len(floors) for i in (0, 1))
figures = {
    "round_s": seconds,
    "job_runs": job_runs,
    "phases_s": phases.seconds,
    "state": run.state,
    "changed": run.changed_count,
    "errors": run.error_count,
    "lines": len(run.line_ids),
    "odoo_apply_s": counts_s + apply_s,
    "odoo_apply_only_s": apply_s,
    "odoo_apply_counts": floors[0][2],
    "odoo_applies": [{"counts_s": c, "apply_only_s": a} for c, a, _counted in floors],
    "wrong": check(products, locations),
}
with open(os.environ["BENCH_RESULT"], "w", encoding="utf-8") as out:
    json.dump(figures, out)
