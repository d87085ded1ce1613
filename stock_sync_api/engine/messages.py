"""What the synchronisation says about a product: its change, a quantity in
its unit, why the API's answer could not be used."""

from .reasons import word_reason


def format_quantity(product, quantity):
    """``quantity`` in ``product``'s unit, to the 'Product Unit' precision, without trailing zeros."""
    digits = product.env["decimal.precision"].precision_get("Product Unit")
    text = f"{product.uom_id.round(quantity):.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def change_message(product, change, applied=True):
    """``On hand 40 -> 50 Units``, with the API's own figure when it counts in another unit."""
    env = product.env
    values = {
        "before": format_quantity(product, change.on_hand),
        "after": format_quantity(product, change.quantity),
        "uom": product.uom_id.name,
    }
    if applied:
        message = env._("On hand %(before)s -> %(after)s %(uom)s", **values)
    else:
        message = env._("On hand %(before)s -> %(after)s %(uom)s, not applied", **values)
    if product.api_uom_id and product.api_uom_id != product.uom_id:
        api_quantity = product.uom_id._compute_quantity(change.quantity, product.api_uom_id, round=False)
        message = env._(
            "%(message)s (%(api_quantity)s %(api_uom)s in the stock API)",
            message=message,
            api_quantity=f"{api_quantity:g}",
            api_uom=product.api_uom_id.name,
        )
    return message


def change_note(product, change, location):
    """The chatter note on a product whose stock the synchronisation changed
    (on its template's page: a variant of several is named)."""
    note = product.env._(
        "Stock synchronised with the stock API (external ID %(external_id)s): "
        "on hand at %(location)s %(before)s -> %(after)s %(uom)s.",
        external_id=product.api_external_id,
        location=location.display_name,
        before=format_quantity(product, change.on_hand),
        after=format_quantity(product, change.quantity),
        uom=product.uom_id.name,
    )
    if product.product_template_variant_value_ids:
        return product.env._("%(variant)s: %(note)s", variant=product.display_name, note=note)
    return note


def fetch_error_message(env, result):
    """Why the API's answer for one product (a ``FetchResult``) cannot be used."""
    labels = {
        "not_found": env._("Not found in the stock API"),
        "invalid_response": env._("Invalid answer from the stock API"),
        "connection_error": env._("Could not reach the stock API"),
        "timeout": env._("The stock API did not answer in time"),
        "http_error": env._("The stock API answered with an error"),
        "invalid_id": env._("Invalid external ID"),
        "cli_error": env._("sync-cli failed"),
        "not_listed": env._("Not in the stock API's listing"),
    }
    label = labels.get(result.status, result.status)
    if result.status == "not_listed":
        return label
    # sync-cli's reason, worded in the user's language; its English sentence
    # (with the URL) for a code not worded, and in the log and the line's details.
    detail = word_reason(env, result) or result.error
    # Translatable as a whole: French puts a space before the colon.
    return env._("%(label)s: %(detail)s", label=label, detail=detail) if detail else label


def busy_message(env):
    return env._("Already being synchronised: try again in a moment.")


def held_message(env, run):
    return env._("Held by the brake of the synchronisation %(run)s: nothing was applied.", run=run.name)
