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
        raise UserError(_describe_problem(env, setting, raw)) from None


def _describe_problem(env, setting, raw):
    if setting.choices:
        return env._(
            "The setting %(param)s is %(value)r; it must be one of %(choices)s.",
            param=setting.param,
            value=raw,
            choices=", ".join(setting.choices),
        )
    if setting.kind is str:
        return describe_text_problem(env, setting.param, setting.rule, raw)
    if setting.kind is int:
        return env._(
            "The setting %(param)s is %(value)r; it must be a whole number between %(low)s and %(high)s.",
            param=setting.param,
            value=raw,
            low=format_number(setting.low),
            high=format_number(setting.high),
        )
    return env._(
        "The setting %(param)s is %(value)r; it must be a number between %(low)s and %(high)s.",
        param=setting.param,
        value=raw,
        low=format_number(setting.low),
        high=format_number(setting.high),
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
    if endpoint and "{id}" not in endpoint:
        raise UserError(env._("The setting %(param)s must contain {id}.", param=SETTINGS["endpoint"].param))
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
    if auth == "header" and not auth_header:
        raise UserError(
            env._(
                "The setting %(param)s is header, but %(header)s, the name of the header that carries the token, "
                "is not set.",
                param=SETTINGS["auth"].param,
                header=SETTINGS["auth_header"].param,
            )
        )
    if auth == "basic" and not auth_user:
        raise UserError(
            env._(
                "The setting %(param)s is basic, but %(user)s, the API user, is not set.",
                param=SETTINGS["auth"].param,
                user=SETTINGS["auth_user"].param,
            )
        )
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
