"""sync-cli's reason codes, worded in the user's language.

Each non-ok line of ``sync-cli`` carries ``reason``, a stable code from the
list in docs/sync-cli.md ("Reason codes"), and the values the code names.
The addon words each code here, through ``_()``; sync-cli's own English
sentence (``error``) stays in the server log and in the run line's details.
A code this list does not know falls back to that sentence.
"""


def _wordings(env, values):
    """``{code: sentence}`` for the values of one line (a sentence needing a
    value the line lacks raises :class:`_MissingValue`)."""
    value = _Values(values)
    _ = env._
    return {
        "id_empty": lambda: _("the external ID is empty"),
        "id_too_long": lambda: _(
            "the external ID is %(length)s characters long, more than %(limit)s",
            length=value["length"],
            limit=value["limit"],
        ),
        "id_control_character": lambda: _(
            "the external ID holds the control character %(character)s", character=value["character"]
        ),
        "id_spaces": lambda: _("the external ID starts or ends with a space"),
        "id_dot_segment": lambda: _("the external ID cannot be “.” or “..”"),
        "id_not_sendable": lambda: _("the external ID cannot be sent in a URL as it is"),
        "id_holds_secret": lambda: _("the listed ID holds a piece of a secret and was left out"),
        "not_found": lambda: _("the stock API does not know this product"),
        "unauthorized": lambda: _(
            "the stock API refused the credentials (HTTP %(http_status)s): check the token and the authentication "
            "settings",
            http_status=value["http_status"],
        ),
        "redirect": lambda: _(
            "the stock API answered with a redirection (HTTP %(http_status)s), which is never followed",
            http_status=value["http_status"],
        ),
        "rate_limited": lambda: _("the stock API's request quota is spent (HTTP 429)"),
        "server_error": lambda: _(
            "the stock API had an internal error (HTTP %(http_status)s)",
            http_status=value["http_status"],
        ),
        "http_status": lambda: _(
            "the stock API answered with the HTTP status %(http_status)s", http_status=value["http_status"]
        ),
        "connect_timeout": lambda: _(
            "no connection to the stock API within %(seconds)s seconds", seconds=value["seconds"]
        ),
        "timeout": lambda: _("the stock API did not answer within %(seconds)s seconds", seconds=value["seconds"]),
        "body_timeout": lambda: _(
            "the stock API's answer did not arrive in full within %(seconds)s seconds", seconds=value["seconds"]
        ),
        "tls": lambda: _("the secure connection (TLS) failed: the stock API's certificate may not be trusted"),
        "dns": lambda: _("the stock API's host name could not be found"),
        "connection_refused": lambda: _("the stock API refused the connection: nothing answers at its address"),
        "connection_error": lambda: _("the connection to the stock API failed"),
        "body_empty": lambda: _("the answer is empty"),
        "body_html": lambda: _("the answer is a web page, not the expected JSON"),
        "body_compressed": lambda: _(
            "the answer is compressed (%(encoding)s), which was not asked for", encoding=value["encoding"]
        ),
        "body_too_large": lambda: _("the answer is larger than %(limit)s bytes", limit=value["limit"]),
        "not_json": lambda: _("the answer is not JSON"),
        "not_object": lambda: _("the answer is a JSON %(found)s, not an object", found=value["found"]),
        "duplicate_key": lambda: _("the answer gives the same key twice"),
        "product_id_missing": lambda: _("the answer has no product ID"),
        "product_id_wrong_type": lambda: _(
            "the answer's product ID is a JSON %(found)s, neither a string nor a number", found=value["found"]
        ),
        "product_id_mismatch": lambda: _(
            "the answer is about product %(got)s, not %(expected)s", got=value["got"], expected=value["expected"]
        ),
        "quantity_missing": lambda: _("the answer has no quantity"),
        "quantity_wrong_type": lambda: _(
            "the quantity is a JSON %(found)s, neither a string nor a number", found=value["found"]
        ),
        "quantity_not_number": lambda: _("the quantity %(value)s is not a number", value=value["value"]),
        "quantity_negative": lambda: _("the quantity %(value)s is negative", value=value["value"]),
        "quantity_not_finite": lambda: _("the quantity %(value)s is too large", value=value["value"]),
        "quantity_above_limit": lambda: _(
            "the quantity %(value)s is above the limit of %(limit)s", value=value["value"], limit=value["limit"]
        ),
        "quantity_too_long": lambda: _(
            "the quantity is %(length)s characters long, more than %(limit)s",
            length=value["length"],
            limit=value["limit"],
        ),
        "record_not_object": lambda: _("the listing's record is a JSON %(found)s, not an object", found=value["found"]),
        "listed_twice": lambda: _("the listing gives this product twice: neither quantity is used"),
        "not_listed": lambda: _("the stock API's listing does not have this product"),
        "too_many_pages": lambda: _("the listing has more than %(limit)s pages", limit=value["limit"]),
        "page_loop": lambda: _("the listing came back to a page it had already given"),
        "records_missing": lambda: _("a page of the listing has no records where they were expected"),
        "records_not_array": lambda: _("a page of the listing has no list of records where they were expected"),
        "cursor_wrong_type": lambda: _("the listing's next-page cursor is of the wrong kind"),
        "next_page_not_url": lambda: _("the listing's next page is not a URL"),
        "next_page_other_origin": lambda: _("the listing's next page leads to another server, which is never asked"),
        "next_page_credentials": lambda: _("the listing's next page holds credentials in its URL"),
        "locations_not_array": lambda: _(
            "the quantities per location are a JSON %(found)s, not a list", found=value["found"]
        ),
        "location_not_object": lambda: _(
            "a quantity per location is a JSON %(found)s, not an object", found=value["found"]
        ),
        "location_missing": lambda: _("a quantity per location has no location"),
        "location_wrong_type": lambda: _(
            "a location is a JSON %(found)s, neither a string nor a number", found=value["found"]
        ),
        "location_code_invalid": lambda: _(
            "the location %(location)s cannot be used: it breaks the rules of an external ID",
            location=value["location"],
        ),
        "location_holds_secret": lambda: _("a location holds a piece of a secret and was left out"),
        "location_quantity_missing": lambda: _("the location %(location)s has no quantity", location=value["location"]),
        "location_quantity_wrong_type": lambda: _(
            "the quantity at %(location)s is a JSON %(found)s, neither a string nor a number",
            location=value["location"],
            found=value["found"],
        ),
        "location_quantity_not_number": lambda: _(
            "the quantity %(value)s at %(location)s is not a number", value=value["value"], location=value["location"]
        ),
        "location_quantity_negative": lambda: _(
            "the quantity %(value)s at %(location)s is negative", value=value["value"], location=value["location"]
        ),
        "location_quantity_not_finite": lambda: _(
            "the quantity %(value)s at %(location)s is too large", value=value["value"], location=value["location"]
        ),
        "location_quantity_above_limit": lambda: _(
            "the quantity %(value)s at %(location)s is above the limit of %(limit)s",
            value=value["value"],
            location=value["location"],
            limit=value["limit"],
        ),
        "location_quantity_too_long": lambda: _(
            "the quantity at %(location)s is %(length)s characters long, more than %(limit)s",
            location=value["location"],
            length=value["length"],
            limit=value["limit"],
        ),
        "location_twice": lambda: _(
            "the location %(location)s is given twice: none of its quantities is used", location=value["location"]
        ),
        "locations_sum_mismatch": lambda: _(
            "the quantity %(total)s is not the sum of the quantities per location (%(sum)s)",
            total=value["total"],
            sum=value["sum"],
        ),
    }


class _MissingValue(KeyError):
    """A line lacks a value its reason's wording names."""


class _Values(dict):
    """A line's values; one it lacks makes the wording give way to sync-cli's sentence."""

    def __missing__(self, key):
        raise _MissingValue(key)


def word_listing_reason(env, reason, values=None):
    """A reason code and its values in the user's language; None for a code
    this list does not know, or a value the wording needs and lacks."""
    wording = _wordings(env, values or {}).get(reason or "")
    try:
        return wording() if wording else None
    except _MissingValue:
        return None


def word_reason(env, result):
    """What went wrong with one product (a ``FetchResult``), in the user's
    language, or None (see :func:`word_listing_reason`)."""
    return word_listing_reason(env, result.reason, result.values)
