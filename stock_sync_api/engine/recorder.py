"""Recording a batch's outcomes: on its products, as run lines (changed and
failed products only), in the run's counters and the products' chatter."""

from collections import defaultdict

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

    def record_batch(self, templates, outcomes, location):
        """Record the outcome of each product of ``templates``. A product
        left ``moved`` is not recorded: it is tried again.

        :param outcomes: ``{template_id: SyncOutcome}``
        """
        templates = templates.filtered(lambda template: outcomes[template.id].state != "moved")
        outcomes = {template.id: outcomes[template.id] for template in templates}
        run = self.run
        company = self.env.company
        lines = []
        counts = defaultdict(int)
        for template in templates:
            outcome = outcomes[template.id]
            counts["done"] += 1
            if outcome.state in ("error", "busy"):
                counts["error"] += 1
            elif outcome.change is None:
                counts["up_to_date"] += 1
            else:
                counts["changed"] += 1
                counts["zero"] += outcome.change.drops_to_zero
            if outcome.state in ("error", "busy") or outcome.change is not None:
                change = outcome.change or StockChange(0.0, 0.0)
                lines.append(
                    {
                        "run_id": run.id,
                        "product_tmpl_id": template.id,
                        "external_id": template.api_external_id,
                        "company_id": (template.company_id or company).id,
                        "location_id": location.id if location else False,
                        "on_hand": change.on_hand,
                        "api_quantity": change.quantity,
                        "state": LINE_STATES[outcome.state],
                        "message": outcome.message,
                        "move_id": outcome.move_id or False,
                    }
                )
        if lines:
            self.env["stock.sync.run.line"].sudo().create(lines)
        run.sudo()._add_counts(counts)
        self._log_changes(
            {template: outcomes[template.id].change for template in templates if outcomes[template.id].changed},
            location,
        )
        if run._applies():
            # A product another sync holds is left to it.
            self._write_status(
                templates, {tid: outcome for tid, outcome in outcomes.items() if outcome.state != "busy"}
            )

    def record_failure(self, templates, message):
        """Record the same error for every product of ``templates`` that no
        other sync holds (the batch's savepoint, rolled back, released them).

        :return: ``{template_id: SyncOutcome}``
        """
        locked = templates.try_lock_for_update(allow_referencing=True)
        busy = SyncOutcome("busy", messages.busy_message(self.env))
        outcomes = {template.id: busy for template in templates - locked}
        outcomes.update({template.id: SyncOutcome("error", message) for template in locked})
        self.record_batch(templates, outcomes, None)
        return outcomes

    def record_not_run(self, templates, message):
        """Record, without a run line, that ``templates`` could not be synced
        at all (the settings are wrong): each product that no other sync
        holds says why.

        :return: ``{template_id: SyncOutcome}``
        """
        locked = templates.try_lock_for_update(allow_referencing=True)
        outcomes = {template.id: SyncOutcome("error", message) for template in locked}
        if self.run._applies():
            self._write_status(locked, outcomes)
        busy = SyncOutcome("busy", messages.busy_message(self.env))
        outcomes.update((template.id, busy) for template in templates - locked)
        self.run.sudo()._add_counts({"done": len(templates), "error": len(templates)})
        return outcomes

    def _write_status(self, templates, outcomes):
        """The products' own status: what a held change leaves as it was is said on them."""
        held = messages.held_message(self.env, self.run)
        status = {
            template_id: outcome._replace(state=None, message=held) if outcome.state == "planned" else outcome
            for template_id, outcome in outcomes.items()
        }
        templates._api_sync_write_status(status, self.run)

    def _log_changes(self, changes, location):
        """Post one chatter note on each product whose stock the sync changed.

        :param changes: ``{template: StockChange}``, applied
        """
        if not changes:
            return
        bodies = {template.id: messages.change_note(template, change, location) for template, change in changes.items()}
        # As the sync's own bookkeeping: a stock manager may have no right to
        # edit products, which posting on them needs. The author stays the user.
        self.env["product.template"].browse(list(bodies)).sudo()._message_log_batch(bodies=bodies)
