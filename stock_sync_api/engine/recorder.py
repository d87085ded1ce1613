"""Recording a batch's outcomes: on its products, as run lines (changed and
failed products only), in the run's counters and the products' chatter."""

from collections import defaultdict

from markupsafe import Markup

from . import messages
from .types import StockChange, SyncOutcome

#: The state of a run line, by the state of its product's outcome.
LINE_STATES = {"ok": "applied", "planned": "planned", "error": "error", "busy": "error"}


class RunRecorder:
    """Writes what one run found and did, batch after batch.

    :param run: the ``stock.sync.run``, in the company of the batches it records
    """

    def __init__(self, run):
        self.run = run
        self.env = run.env

    def record_batch(self, products, outcomes, location):
        """Record the outcome of each product (variant) of ``products``. A
        product left ``moved`` is not recorded: it is tried again.

        :param outcomes: ``{product_id: SyncOutcome}``
        """
        products = products.filtered(lambda product: outcomes[product.id].state != "moved")
        outcomes = {product.id: outcomes[product.id] for product in products}
        run = self.run
        company = self.env.company
        lines = []
        counts = defaultdict(int)
        for product in products:
            outcome = outcomes[product.id]
            counts["done"] += 1
            if outcome.state in ("error", "busy"):
                counts["error"] += 1
            elif outcome.change is None:
                counts["up_to_date"] += 1
            else:
                counts["changed"] += 1
                counts["zero"] += outcome.change.drops_to_zero
            if outcome.locations and outcome.state in ("ok", "planned"):
                # One line per location changed (a company that maps the API's locations).
                lines.extend(
                    {
                        "run_id": run.id,
                        "product_id": product.id,
                        "external_id": product.api_external_id,
                        "company_id": (product.company_id or company).id,
                        "location_id": at.id,
                        "on_hand": change.on_hand,
                        "api_quantity": change.quantity,
                        "state": LINE_STATES[outcome.state],
                        "message": messages.change_message(product, change, applied=outcome.state == "ok"),
                        "move_id": move_id or False,
                    }
                    for at, change, move_id in outcome.locations
                )
                continue
            if outcome.state in ("error", "busy") or outcome.change is not None:
                change = outcome.change or StockChange(0.0, 0.0)
                lines.append(
                    {
                        "run_id": run.id,
                        "product_id": product.id,
                        "external_id": product.api_external_id,
                        "company_id": (product.company_id or company).id,
                        "location_id": location.id if location else False,
                        "on_hand": change.on_hand,
                        "api_quantity": change.quantity,
                        "state": LINE_STATES[outcome.state],
                        "message": outcome.message,
                        "details": outcome.detail or False,
                        "move_id": outcome.move_id or False,
                    }
                )
        if lines:
            self.env["stock.sync.run.line"].sudo().create(lines)
        _add_counts(run.sudo(), counts)
        self._log_changes(
            [
                (product, change, at)
                for product in products
                if outcomes[product.id].changed
                for at, change in _changes_at(outcomes[product.id], location)
            ]
        )
        if run._applies():
            # A product another sync holds is left to it.
            self._write_status(
                products, {tid: outcome for tid, outcome in outcomes.items() if outcome.state != "busy"}
            )

    def record_failure(self, products, message):
        """Record the same error for every product of ``products`` that no
        other sync holds (the batch's savepoint, rolled back, released them).

        :return: ``{product_id: SyncOutcome}``
        """
        locked = products._api_sync_lock()
        busy = SyncOutcome("busy", messages.busy_message(self.env))
        outcomes = {product.id: busy for product in products - locked}
        outcomes.update({product.id: SyncOutcome("error", message) for product in locked})
        self.record_batch(products, outcomes, None)
        return outcomes

    def record_not_run(self, products, message):
        """Record, without a run line, that ``products`` could not be synced
        at all (the settings are wrong): each product that no other sync
        holds says why.

        :return: ``{product_id: SyncOutcome}``
        """
        locked = products._api_sync_lock()
        outcomes = {product.id: SyncOutcome("error", message) for product in locked}
        if self.run._applies():
            self._write_status(locked, outcomes)
        busy = SyncOutcome("busy", messages.busy_message(self.env))
        outcomes.update((product.id, busy) for product in products - locked)
        _add_counts(self.run.sudo(), {"done": len(products), "error": len(products)})
        return outcomes

    def _write_status(self, products, outcomes):
        """The products' own status: what a held change leaves as it was is said on them."""
        held = messages.held_message(self.env, self.run)
        status = {
            product_id: outcome._replace(state=None, message=held) if outcome.state == "planned" else outcome
            for product_id, outcome in outcomes.items()
        }
        products._api_sync_write_status(status, self.run)

    def _log_changes(self, changes):
        """Post one chatter note on each product whose stock the sync changed,
        on its template's page (one note for the variants of a template).

        :param changes: ``[(product, StockChange, location)]``, applied
        """
        if not changes:
            return
        notes = defaultdict(list)
        for product, change, location in changes:
            notes[product.product_tmpl_id.id].append(messages.change_note(product, change, location))
        bodies = {template_id: Markup("<br/>").join(lines) for template_id, lines in notes.items()}
        # As the sync's own bookkeeping: a stock manager may have no right to
        # edit products, which posting on them needs. The author stays the user.
        self.env["product.template"].browse(list(bodies)).sudo()._message_log_batch(bodies=bodies)


def _add_counts(run, counts):
    """Add a batch's counts (``done``, ``changed``, ``up_to_date``, ``error``, ``zero``) to the run's."""
    run.ensure_one()
    run.write({f"{key}_count": run[f"{key}_count"] + count for key, count in counts.items() if count})


def _changes_at(outcome, location):
    """``[(location, StockChange)]`` that ``outcome`` applied: one per
    location changed, or its change at the batch's ``location``."""
    if outcome.locations:
        return [(at, change) for at, change, _move_id in outcome.locations]
    return [(location, outcome.change)]
