"""What a run's alert says: which issue of which trigger is alerted, in what
words, and the note of an issue already alerted (the run model words them)."""

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

#: The alert's body, by trigger and issue: the issues alerted. The errors of a
#: notified run or a round of changes are on its products, and the hourly run
#: alerts them: of those, only one that stopped or was held, and so applies
#: nothing more, needs a person at once.
ALERTS = {
    "cron": {
        "failed": _lt("The scheduled synchronisation %(name)s failed: %(reason)s"),
        "held": _lt(
            "The scheduled synchronisation %(name)s was held and applied nothing more: %(reason)s "
            "Open it to see what it would change, then apply or discard it."
        ),
        "errors": _lt(
            "The scheduled synchronisation %(name)s ended with %(errors)s products in error out of %(total)s."
        ),
    },
    "changes": {
        "failed": _lt("The round of changes %(name)s failed: %(reason)s"),
        "held": _lt(
            "The round of changes %(name)s was held and applied nothing more: %(reason)s "
            "Open it to see what it would change, then apply or discard it."
        ),
    },
    "notified": {
        "failed": _lt("The notified synchronisation %(name)s failed: %(reason)s"),
        "held": _lt(
            "The notified synchronisation %(name)s was held and applied nothing more: %(reason)s "
            "Open it to see what it would change, then apply or discard it."
        ),
    },
}

#: What a run says instead, by trigger, when the run before it had the same issue.
SAME_ISSUE_NOTES = {
    "cron": _lt("Same issue as the previous scheduled synchronisation %(previous)s: no new alert."),
    "changes": _lt("Same issue as the previous round of changes %(previous)s: no new alert."),
    "notified": _lt("Same issue as the previous notified synchronisation %(previous)s: no new alert."),
}

