"""Talking to ``sync-cli``, without Odoo (see :mod:`.runner`)."""

from .runner import (
    API_STATUSES,
    CLI_ERROR,
    INVALID_ID,
    MAX_ID_LENGTH,
    BackgroundFetch,
    FetchResult,
    SyncCliSettings,
    check_external_id,
    fetch,
    parse_line,
    parse_output,
)

__all__ = [
    "API_STATUSES",
    "CLI_ERROR",
    "INVALID_ID",
    "MAX_ID_LENGTH",
    "BackgroundFetch",
    "FetchResult",
    "SyncCliSettings",
    "check_external_id",
    "fetch",
    "parse_line",
    "parse_output",
]
