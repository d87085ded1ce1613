"""Running ``sync-cli list``: the API's listing read to its end, one JSON line
per record, then a trailer saying whether the listing is complete."""

import dataclasses
import json
import logging
import math
import subprocess
from dataclasses import dataclass, field

from .output import API_STATUSES, CLI_ERROR, FetchResult, parse_result, redact, redact_result
from .process import _excerpt, _run_process, launch_problem
from .settings import SETTINGS

_logger = logging.getLogger(__name__)

#: Status given to a product whose external ID a complete listing does not have.
NOT_LISTED = "not_listed"

#: Why a listing whose output has no trailer is incomplete.
_NO_TRAILER = "sync-cli's output ended without the listing's last line"

#: The options of ``sync-cli list`` that the settings ``listing_<key>`` give.
_LIST_OPTIONS = {
    "paging": "--paging",
    "page_size": "--page-size",
    "page_size_param": "--page-size-param",
    "records_path": "--records-path",
    "id_field": "--id-field",
    "quantity_field": "--quantity-field",
    "cursor_param": "--cursor-param",
    "cursor_field": "--cursor-field",
    "page_param": "--page-param",
    "offset_param": "--offset-param",
    "since_param": "--since-param",
    "max_page_bytes": "--max-body-bytes",
    "max_pages": "--max-pages",
}


@dataclass(frozen=True)
class ListingSettings:
    """Where the listing is and how to read it (the settings ``listing_<key>``)."""

    endpoint: str = SETTINGS["listing_endpoint"].default
    paging: str = SETTINGS["listing_paging"].default
    page_size: int = SETTINGS["listing_page_size"].default
    page_size_param: str = SETTINGS["listing_page_size_param"].default
    records_path: str = SETTINGS["listing_records_path"].default
    id_field: str = SETTINGS["listing_id_field"].default
    quantity_field: str = SETTINGS["listing_quantity_field"].default
    #: The location's code in a record of an API that lists one record per
    #: item and location (``--location-field``); empty: none.
    location_field: str = SETTINGS["listing_location_field"].default
    cursor_param: str = SETTINGS["listing_cursor_param"].default
    cursor_field: str = SETTINGS["listing_cursor_field"].default
    page_param: str = SETTINGS["listing_page_param"].default
    offset_param: str = SETTINGS["listing_offset_param"].default
    since_param: str = SETTINGS["listing_since_param"].default
    #: Largest page, in bytes; a larger one ends the listing incomplete.
    max_page_bytes: int = SETTINGS["listing_max_page_bytes"].default
    #: Most pages; a listing with more ends incomplete.
    max_pages: int = SETTINGS["listing_max_pages"].default
    #: The query parameter that asks for some IDs only (``--ids-param``); empty: none.
    ids_param: str = SETTINGS["listing_ids_param"].default
    #: Most IDs in one such request.
    ids_per_request: int = SETTINGS["listing_ids_per_request"].default

    def __post_init__(self):
        checked = ("endpoint", "paging", "page_size", "ids_param", "ids_per_request", "location_field")
        for key in (*checked, *_LIST_OPTIONS):
            problem = SETTINGS[f"listing_{key}"].problem(getattr(self, key))
            if problem:
                raise ValueError(f"the listing's {key.replace('_', ' ')} {problem}, not {getattr(self, key)!r}")

    def argv(self, cli, since=None, by_ids=False):
        """The command line of ``sync-cli list`` (the endpoint goes in the
        environment; with ``by_ids``, the IDs asked for go on its stdin)."""
        argv = [cli.cli_path, "list", *cli.http_argv()]
        for key, option in _LIST_OPTIONS.items():
            argv.append(f"{option}={getattr(self, key)}")
        if self.location_field:
            argv.append(f"--location-field={self.location_field}")
        if since:
            argv.append(f"--since={since}")
        if by_ids:
            argv += [f"--ids-param={self.ids_param}", f"--ids-per-request={self.ids_per_request}"]
        return argv

    def requests(self, records):
        """How many requests reading a listing of ``records`` records takes (at least one)."""
        return max(math.ceil(records / self.page_size), 1)

    def requests_by_ids(self, count):
        """How many requests asking for ``count`` IDs with :attr:`ids_param` take."""
        return math.ceil(count / self.ids_per_request)


@dataclass(frozen=True)
class Listing:
    """What a ``sync-cli list`` run read."""

    #: Whether the whole listing was read (its trailer says ``complete``).
    complete: bool
    #: ``{external_id: FetchResult}``, the last line of each ID (an ID
    #: listed twice ends ``invalid_response``).
    results: dict = field(default_factory=dict)
    records: int = 0
    pages: int = 0
    #: The API's clock when the listing began (the first page's ``Date``), RFC 3339.
    server_time: str | None = None
    #: Why the listing is incomplete.
    error: str | None = None
    #: The trailer's reason code (sync-cli's documented list), and the values it names.
    reason: str | None = None
    values: dict = field(default_factory=dict)

    def result(self, external_id):
        """The listing's answer for ``external_id``; a complete listing that
        does not have it says so."""
        found = self.results.get(external_id)
        if found is not None:
            return found
        return FetchResult(external_id, NOT_LISTED, error="the stock API's listing does not have this external ID")


def list_stock(cli, listing, since=None, expected=0, base_env=None, external_ids=None):
    """Read the API's listing with ``sync-cli list``; never raises for a bad run.

    :param cli: the ``SyncCliSettings`` (URL, token, time limits)
    :param listing: the :class:`ListingSettings`
    :param since: only what changed since this time (RFC 3339), if given
    :param expected: how many records the listing may hold, for its time limit
    :param external_ids: ask for these IDs only (with the listing's
        ``ids_param``): an ID no record answers is not found
    :return: a :class:`Listing`
    """
    argv = listing.argv(cli, since, by_ids=external_ids is not None)
    env = cli.env(base_env)
    env["STOCK_API_LISTING_ENDPOINT"] = listing.endpoint
    # One page after the other, each under the request-rate cap and the quota.
    if external_ids is not None:
        pages = listing.requests_by_ids(len(external_ids)) + 10
        stdin = "".join(f"{external_id}\n" for external_id in external_ids).encode()
    else:
        pages = min(math.ceil(max(expected, 1) / listing.page_size) + 10, listing.max_pages)
        stdin = b""
    time_limit = cli.run_timeout(pages, concurrency=1)
    _logger.debug("running %s (time limit %ss)", argv, time_limit)
    try:
        completed = _run_process(argv, stdin, env, time_limit, None)
    except subprocess.TimeoutExpired:
        return Listing(False, error=f"sync-cli did not finish the listing within {time_limit:g} seconds")
    except OSError as exc:
        return Listing(False, error=launch_problem(cli.cli_path, exc))
    stderr = redact(_excerpt(completed.stderr), cli.secrets())
    if stderr:
        _logger.info("sync-cli stderr: %s", stderr)
    result = parse_listing(completed.stdout, cli.secrets(), partial=since is not None)
    code = completed.returncode
    if result.complete and code not in (0, 3):
        return Listing(False, error=f"sync-cli failed with exit status {code}: {stderr or 'no message'}")
    if not result.complete and result.error == _NO_TRAILER:
        if code == 2:
            error = f"sync-cli refused its settings: {stderr or 'no message'}"
        elif code < 0:
            error = f"sync-cli was killed by signal {-code}"
        else:
            error = f"sync-cli stopped before the end of the listing (exit status {code}): {stderr or 'no message'}"
        return Listing(False, records=result.records, pages=result.pages, error=error)
    return result


def parse_listing(stdout, token="", partial=False):
    """Read ``sync-cli list``'s output: record lines, then the trailer.

    ``token``: the secrets to keep out of the errors (see :func:`.output.redact`).

    Lines of a listing read per location (``list --location-field``: each
    carries its ``location``) are added up into one result per ID, with its
    ``locations``; ``partial``: the listing says only what changed (``--since``),
    so an ID's locations not listed are unknown rather than empty.

    A line that is not a record nor a trailer makes the listing incomplete:
    nothing of an output that does not follow the contract is used.
    """
    if isinstance(stdout, bytes):
        stdout = stdout.decode("utf-8", errors="replace")
    results = {}
    #: IDs whose lines carry a location: their results add up.
    per_location = set()
    records = 0
    lines = stdout.split("\n")
    for number, line in enumerate(lines[:-1], start=1):
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            error = f"sync-cli printed an unusable line {number}: not a JSON object"
            return Listing(False, records=records, error=error)
        if "listing" in data:
            return _trailer(data, results, records, token, number == len(lines) - 1)
        if data.get("status") not in API_STATUSES:
            return Listing(False, records=records, error=f"sync-cli printed an unknown status on line {number}")
        external_id = data.get("external_id")
        try:
            result = parse_result(data, external_id)
        except ValueError as exc:
            result = FetchResult(external_id, CLI_ERROR, error=f"sync-cli printed line {number} badly: {exc}")
        records += 1
        if not isinstance(external_id, str):
            # A record without a readable ID concerns no product.
            continue
        if "location" in data or external_id in per_location:
            result = _add_location_line(results.get(external_id), result, "location" in data, partial)
            per_location.add(external_id)
        results[external_id] = redact_result(result, token)
    return Listing(False, records=records, error=_NO_TRAILER)


def _add_location_line(previous, result, has_location, partial):
    """An ID's result once one more line of a listing read per location is
    added: the quantities of its ok lines add up by location; a line that is
    not ok makes the whole ID not ok (a consumer never applies part of it).

    :param previous: the ID's result so far, or None
    :param has_location: whether the line carries a location (else it
        concerns the whole ID, whose other lines do)
    """
    if previous is not None and not previous.ok:
        # The ID's last error stays, whatever ok lines come after it.
        return previous if result.ok else result
    if not result.ok:
        return result
    external_id = result.external_id
    if not has_location or (previous is not None and previous.locations is None):
        error = "sync-cli listed this ID both with and without a location"
        return FetchResult(external_id, CLI_ERROR, error=error)
    result = dataclasses.replace(result, locations_partial=partial)
    if previous is None:
        return result
    [(code, quantity)] = result.locations.items()
    if code in previous.locations:
        error = f"sync-cli listed this ID twice at location {code!r}"
        return FetchResult(external_id, CLI_ERROR, error=error)
    return dataclasses.replace(
        previous, quantity=previous.quantity + quantity, locations={**previous.locations, code: quantity}
    )


def _trailer(data, results, records, token, last):
    pages = data.get("pages") if isinstance(data.get("pages"), int) else 0
    if data.get("listing") == "complete" and last:
        server_time = data.get("server_time")
        return Listing(
            True,
            results=results,
            records=records,
            pages=pages,
            server_time=server_time if isinstance(server_time, str) else None,
        )
    if data.get("listing") == "complete":
        return Listing(False, records=records, error="sync-cli printed more after the listing's last line")
    error = data.get("error")
    if not isinstance(error, str) or not error.strip():
        error = "the listing is incomplete, without a reason"
    reason = data.get("reason") if isinstance(data.get("reason"), str) else None
    values = {
        key: redact(value, token) if isinstance(value, str) else value
        for key, value in data.items()
        if key not in TRAILER_KEYS and isinstance(value, (str, int, float)) and not isinstance(value, bool)
    }
    return Listing(
        False, records=records, pages=pages, error=redact(error.strip(), token), reason=reason, values=values
    )


#: The keys of a trailer that are not values of its reason.
TRAILER_KEYS = frozenset({"listing", "reason", "error", "records", "pages", "server_time"})
