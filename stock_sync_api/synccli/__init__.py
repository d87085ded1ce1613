"""Talking to ``sync-cli``, without Odoo (see :mod:`.runner`)."""

from .runner import (
    API_STATUSES,
    CLI_ERROR,
    DEFAULTS,
    INVALID_ID,
    MAX_ID_LENGTH,
    MAX_QUANTITY_RANGE,
    RANGES,
    BackgroundFetch,
    FetchResult,
    SyncCliSettings,
    check_external_id,
    external_id_problem,
    fetch,
    is_blank,
    parse_line,
    parse_output,
)

__all__ = [
    "API_STATUSES",
    "CLI_ERROR",
    "DEFAULTS",
    "INVALID_ID",
    "MAX_ID_LENGTH",
    "MAX_QUANTITY_RANGE",
    "RANGES",
    "BackgroundFetch",
    "FetchResult",
    "SyncCliSettings",
    "check_external_id",
    "external_id_problem",
    "fetch",
    "is_blank",
    "parse_line",
    "parse_output",
]
