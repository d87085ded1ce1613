"""Reading the settings: the system parameters ``stock_sync_api.<key>`` of
the one table (:data:`..synccli.SETTINGS`), typed and checked, into the
configuration a run reads once, before its first batch."""

import os
import re

from odoo.exceptions import UserError

from ..synccli import SETTINGS, ListingSettings, SyncCliSettings, format_number
from .types import BrakeSettings, SyncConfig

#: Used as the base URL when its setting is empty (e.g. set by a container).
BASE_URL_ENV = "STOCK_API_URL"


def read_setting(env, key):
    """The value of the setting ``key``, typed and checked (its default when unset).

    :raises UserError: the stored value is not acceptable; names the parameter
    """
    setting = SETTINGS[key]
    raw = env["ir.config_parameter"].sudo().get_param(setting.param)
    try:
        return setting.parse(raw)
    except ValueError:
        raise UserError(describe_problem(env, setting, raw)) from None


# --- The wording of a setting's problem, in the user's language -----------------------
#
# The table (:data:`..synccli.SETTINGS`) says whether a value is acceptable;
# these functions alone say what is wrong with it. The settings form names a
# setting by its field's label, the reader by its system parameter.


def form_problem(env, setting, value, label):
    """Why the settings form cannot save ``value`` as ``setting``'s, naming its field ``label``, or None.

    An empty text or choice is "unset" (its default), or a value of its own: never a problem.
    """
    if setting.kind is str and not value:
        return None
    if setting.problem(value) is None:
        return None
    return describe_problem(env, setting, value, label)


def describe_problem(env, setting, value, label=None):
    """What is wrong with ``value`` as ``setting``'s value, which :meth:`Setting.problem` refuses.

    :param label: the label of its field on the settings form, which then
        names it; otherwise its system parameter names it, and ``value`` is
        the stored text
    """
    if setting.choices:
        # Only a stored value: the form's field offers the choices alone.
        return env._(
            "The setting %(param)s is %(value)r; it must be one of %(choices)s.",
            param=setting.param,
            value=value,
            choices=", ".join(setting.values),
        )
    if setting.rule == "endpoint":
        if label is not None:
            return env._("The endpoint must contain {id}, where the external ID goes.")
        return env._("The setting %(param)s must contain {id}.", param=setting.param)
    if setting.kind is str:
        return describe_text_problem(env, label or setting.param, setting.rule, value)
    if label is not None:
        return _describe_range_on_form(env, setting, value, label)
    if setting.kind is int:
        return env._(
            "The setting %(param)s is %(value)r; it must be a whole number between %(low)s and %(high)s.",
            param=setting.param,
            value=value,
            low=format_number(setting.low),
            high=format_number(setting.high),
        )
    return env._(
        "The setting %(param)s is %(value)r; it must be a number between %(low)s and %(high)s.",
        param=setting.param,
        value=value,
        low=format_number(setting.low),
        high=format_number(setting.high),
    )


def _describe_range_on_form(env, setting, value, label):
    if setting.key == "max_quantity":
        # In words of its own, without the value.
        return env._(
            "The largest quantity must be between %(low)s and %(high)s.",
            low=format_number(setting.low),
            high=format_number(setting.high),
        )
    return env._(
        "%(setting)s must be between %(low)s and %(high)s, not %(value)s.",
        setting=label,
        low=format_number(setting.low),
        high=format_number(setting.high),
        value=format_number(value),
    )


def describe_text_problem(env, name, rule, value):
    """Why ``value`` breaks the ``rule`` of a text setting (see ``Setting.rule``), naming it."""
    if rule == "pointer":
        return env._(
            "%(setting)s must be a JSON pointer (empty, or starting with /), not %(value)r.", setting=name, value=value
        )
    if rule == "path":
        return env._("%(setting)s must be a path starting with /, not %(value)r.", setting=name, value=value)
    if rule == "header":
        return env._(
            "%(setting)s must be the name of an HTTP header, e.g. X-Shopify-Access-Token: letters, digits and "
            "hyphens, no space or colon, and not a header sync-cli sets itself (Host, Accept, Content-Length, "
            "...), not %(value)r.",
            setting=name,
            value=value,
        )
    if rule == "user":
        # The user is a secret: never repeated.
        return env._("%(setting)s must not contain a colon (:) or a control character.", setting=name)
    return env._(
        "%(setting)s must be the name of a query parameter (no space, &, =, # or ?), not %(value)r.",
        setting=name,
        value=value,
    )


def credentials_problem(env, auth, auth_header, auth_user, on_form=False):
    """What the way the token is sent (``auth``) still needs, or None: the
    header's name for ``header``, the API user for ``basic``.

    :param on_form: name the settings form's fields, not the system parameters
    """
    if auth == "header" and not auth_header:
        if on_form:
            return env._("The token is sent in a header of its own: give that header's name in Token Header.")
        return env._(
            "The setting %(param)s is header, but %(header)s, the name of the header that carries the token, "
            "is not set.",
            param=SETTINGS["auth"].param,
            header=SETTINGS["auth_header"].param,
        )
    if auth == "basic" and not auth_user:
        if on_form:
            return env._("HTTP Basic authentication needs the API User.")
        return env._(
            "The setting %(param)s is basic, but %(user)s, the API user, is not set.",
            param=SETTINGS["auth"].param,
            user=SETTINGS["auth_user"].param,
        )
    return None


def read_cli_settings(env):
    """The settings of a ``sync-cli`` run.

    :raises UserError: the synchronisation is not configured or a setting is wrong
    """
    base_url = read_setting(env, "base_url") or os.environ.get(BASE_URL_ENV, "").strip()
    if not base_url:
        raise UserError(
            env._(
                "The stock API URL is not set: set it in Inventory > Configuration > Settings "
                "(API Sync) or in the STOCK_API_URL environment variable of the server."
            )
        )
    if not base_url.startswith(("http://", "https://")):
        raise UserError(
            env._(
                "The stock API URL %(url)r must start with http:// or https://.",
                # Never a password given in the URL.
                url=re.sub(r"^([^/]*//)?[^/@]*@", r"\1***@", base_url),
            )
        )
    endpoint = read_setting(env, "endpoint")
    if not endpoint and read_setting(env, "fetch_mode") != "listing":
        raise UserError(
            env._(
                "The setting %(param)s is empty: one request per product needs the path of a product's stock.",
                param=SETTINGS["endpoint"].param,
            )
        )
    auth = read_setting(env, "auth")
    auth_header = read_setting(env, "auth_header") if auth == "header" else ""
    auth_user = read_setting(env, "auth_user") if auth == "basic" else ""
    problem = credentials_problem(env, auth, auth_header, auth_user)
    if problem:
        raise UserError(problem)
    try:
        return SyncCliSettings(
            base_url=base_url,
            cli_path=read_setting(env, "cli_path"),
            endpoint=endpoint,
            token=read_setting(env, "token"),
            auth=auth,
            auth_header=auth_header,
            auth_user=auth_user,
            timeout=read_setting(env, "timeout"),
            retries=read_setting(env, "retries"),
            concurrency=read_setting(env, "concurrency"),
            max_quantity=read_setting(env, "max_quantity"),
            ca_file=read_setting(env, "ca_file"),
            max_rps=read_setting(env, "max_rps"),
        )
    except ValueError as exc:
        raise UserError(env._("The stock API settings are wrong: %(error)s", error=exc)) from exc


def read_brake(env):
    """When a run is held.

    :raises UserError: a setting of the brake is wrong
    """
    return BrakeSettings(
        zero_percent=read_setting(env, "hold_zero_percent"),
        change_percent=read_setting(env, "hold_change_percent"),
        min_products=read_setting(env, "hold_min_products"),
    )


def read_listing_settings(env):
    """Where the API's listing is and how to read it.

    :raises UserError: a setting of the listing is wrong; names it
    """
    keys = [name for name in ListingSettings.__dataclass_fields__]
    return ListingSettings(**{key: read_setting(env, f"listing_{key}") for key in keys})


def read_config(env):
    """Everything a run reads from the settings, once, before its first batch.

    :raises UserError: the synchronisation is not configured or a setting is wrong
    """
    mode = read_setting(env, "fetch_mode")
    return SyncConfig(
        settings=read_cli_settings(env),
        batch_size=read_setting(env, "batch_size"),
        brake=read_brake(env),
        mode=mode,
        listing=read_listing_settings(env) if mode == "listing" else None,
    )
