"""The rules an external ID must follow to be sent to the stock API.

The same rules as ``sync-cli``'s (``sync-cli/src/id.rs``), checked in the
same order; ``tests/external_id_vectors.json`` holds the cases both sides'
tests run.
"""

import unicodedata

#: Longest external ID accepted, in characters.
MAX_ID_LENGTH = 255

#: Whitespace that an external ID may neither start nor end with: Unicode's
#: White_Space property, as Rust's ``char::is_whitespace`` has it (Python's
#: ``str.isspace`` also counts U+001C..U+001F, which are control characters).
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

def is_blank(text):
    """Whether ``text`` is blank: empty, or nothing but ASCII spaces and tabs.

    The same rule as ``sync-cli``'s for its stdin lines (blank ones are
    skipped): anything else is an external ID, checked by
    :func:`check_external_id`, so a line of non-breaking spaces is refused,
    never dropped.
    """
    return all(char in " \t" for char in text)


def external_id_problem(external_id):
    """The rule ``external_id`` breaks and why, or None if it can be sent.

    The rules of ``sync-cli`` (``sync-cli/src/id.rs``), checked in the same
    order; the table ``tests/external_id_vectors.json`` that both sides' tests
    run holds the cases. The rule is one of ``empty``, ``too_long``,
    ``control``, ``spaces``, ``dot``.

    :return: ``(rule, message)`` or None
    """
    if not isinstance(external_id, str) or is_blank(external_id):
        return "empty", "the external ID is empty"
    if len(external_id) > MAX_ID_LENGTH:
        return "too_long", f"the external ID is longer than {MAX_ID_LENGTH} characters"
    for char in external_id:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return "control", f"the external ID contains a control character (U+{ord(char):04X})"
    if external_id[0] in WHITESPACE or external_id[-1] in WHITESPACE:
        return "spaces", "the external ID starts or ends with spaces"
    if external_id in (".", ".."):
        return "dot", "the external ID is . or .., which cannot be sent as a URL path segment"
    return None


def check_external_id(external_id):
    """Return why ``external_id`` cannot be sent to the API, or None if it can."""
    problem = external_id_problem(external_id)
    return problem[1] if problem else None
