"""Talking to ``sync-cli``, without Odoo.

- :mod:`.settings`: every setting of the synchronisation in one table, each
  row a :mod:`.setting`;
- :mod:`.cli_settings`: the command line and environment of a ``sync-cli`` run;
- :mod:`.ids`: the rules an external ID must follow to be sent;
- :mod:`.process`: running ``sync-cli fetch``, in the foreground or the background;
- :mod:`.listing`: running ``sync-cli list``, the API's listing read to its end;
- :mod:`.output`: reading its answers, and keeping the token out of them.
"""

from .ids import MAX_ID_LENGTH, check_external_id, external_id_problem, is_blank
from .listing import NOT_LISTED, Listing, ListingSettings, list_stock, parse_listing
from .output import API_STATUSES, CLI_ERROR, INVALID_ID, FetchResult, parse_line, parse_output, redact
from .process import BackgroundFetch, fetch
from .cli_settings import SyncCliSettings
from .setting import PARAM_PREFIX, Setting, format_number
from .settings import DEFAULTS, MAX_QUANTITY_RANGE, RANGES, SETTINGS

__all__ = [
    "API_STATUSES",
    "CLI_ERROR",
    "DEFAULTS",
    "INVALID_ID",
    "NOT_LISTED",
    "MAX_ID_LENGTH",
    "MAX_QUANTITY_RANGE",
    "PARAM_PREFIX",
    "RANGES",
    "SETTINGS",
    "BackgroundFetch",
    "FetchResult",
    "Listing",
    "ListingSettings",
    "Setting",
    "SyncCliSettings",
    "check_external_id",
    "external_id_problem",
    "fetch",
    "format_number",
    "is_blank",
    "list_stock",
    "parse_line",
    "parse_listing",
    "parse_output",
    "redact",
]
