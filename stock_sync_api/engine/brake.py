"""The brake: a run that would drop too many products to zero, or change too
many, is held and applies nothing more."""

from odoo import _


class Brake:
    """Judges one run before each of its batches is applied.

    :param run: the ``stock.sync.run``
    :param settings: the run's :class:`~.types.BrakeSettings`
    :param unchanged_elsewhere: products of the catalog that a run of what
        changed leaves out as unchanged, counted as compared (see :meth:`holds`)
    """

    def __init__(self, run, settings, unchanged_elsewhere=0):
        self.run = run
        self.env = run.env
        self.settings = settings
        self.unchanged_elsewhere = unchanged_elsewhere

    def holds(self, changes, compared):
        """Judge everything the run has compared so far, this batch included:
        when too many products would drop to zero, or change at all, the run
        is held and applies nothing more.

        A run of what changed (a round of changes, notified products) takes
        only products the API says changed: the others of the catalog are
        unchanged by the API's own word, and count as compared, so that the
        share judged is the catalog's, as for a scheduled round.

        :param changes: ``{product: StockChange}`` of this batch
        :param compared: how many products of this batch were compared
        :return: whether the run is held
        """
        run = self.run
        brake = self.settings
        if run.hold_reason:
            return True
        if run.brake_lifted:
            return False
        compared += run.changed_count + run.up_to_date_count + self.unchanged_elsewhere
        changed = run.changed_count + len(changes)
        zero = run.zero_count + sum(change.drops_to_zero for change in changes.values())
        if compared < brake.min_products:
            return False
        reason = None
        counts = {"zero": zero, "changed": changed, "compared": compared}
        if 100.0 * zero / compared > brake.zero_percent:
            reason = _(
                "%(zero)s of the %(compared)s products compared would drop to zero, more than the %(limit)s%% allowed.",
                **counts,
                limit=f"{brake.zero_percent:g}",
            )
        elif 100.0 * changed / compared > brake.change_percent:
            reason = _(
                "%(changed)s of the %(compared)s products compared would change, more than the %(limit)s%% allowed.",
                **counts,
                limit=f"{brake.change_percent:g}",
            )
        if reason is None:
            return False
        run._hold(reason)
        return True
