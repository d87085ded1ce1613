"""Tests of reading the quantities per location that ``sync-cli`` prints,
without Odoo: the lines are written as its contract says it prints them
(an ok line of ``fetch`` or ``list`` with a ``locations`` object, the lines
of ``list --location-field`` each with its ``location``)."""

import json

import pytest
from synccli import CLI_ERROR, parse_listing, parse_output

COMPLETE = {"listing": "complete", "records": 0, "pages": 1, "server_time": "2026-12-04T10:00:00Z"}


def lines(*objects):
    return "".join(json.dumps(obj) + "\n" for obj in objects)


def listing(*records, trailer=COMPLETE, partial=False):
    return parse_listing(lines(*records, trailer), partial=partial)


def test_fetch_line_with_locations():
    stdout = lines(
        {"external_id": "GS-1013", "status": "ok", "quantity": 50.0, "locations": {"PARIS": 30.0, "LYON": 20.0}},
        {"external_id": "GS-1001", "status": "ok", "quantity": 7.0},
    )
    results = parse_output(["GS-1013", "GS-1001"], stdout, "missing")
    assert results["GS-1013"].ok
    assert results["GS-1013"].quantity == 50.0
    assert results["GS-1013"].locations == {"PARIS": 30.0, "LYON": 20.0}
    assert not results["GS-1013"].locations_partial
    # Without the object, a line is as it always was.
    assert results["GS-1001"].ok
    assert results["GS-1001"].locations is None


@pytest.mark.parametrize(
    ("locations", "why"),
    [
        ([{"location": "PARIS", "quantity": 30.0}], "not a JSON object"),
        ({"PARIS": -1.0, "LYON": 51.0}, "invalid quantity"),
        ({"PARIS": "30", "LYON": 20.0}, "invalid quantity"),
        ({"PARIS": True, "LYON": 49.0}, "invalid quantity"),
        ({" PARIS": 30.0, "LYON": 20.0}, "invalid location"),
        ({"": 30.0, "LYON": 20.0}, "invalid location"),
        ({"PA\u200bRIS": 30.0, "LYON": 20.0}, "invalid location"),
        ({"PARIS": 30.0, "LYON": 21.0}, "not the sum"),
    ],
)
def test_fetch_line_with_bad_locations_is_unusable(locations, why):
    stdout = lines({"external_id": "GS-1", "status": "ok", "quantity": 50.0, "locations": locations})
    result = parse_output(["GS-1"], stdout, "missing")["GS-1"]
    assert result.status == CLI_ERROR
    assert why in result.error


def test_an_error_line_ignores_locations():
    stdout = lines(
        {"external_id": "GS-1", "status": "invalid_response", "reason": "locations_sum_mismatch", "error": "bad sum"}
    )
    result = parse_output(["GS-1"], stdout, "missing")["GS-1"]
    assert (result.status, result.locations) == ("invalid_response", None)


def test_listing_record_with_locations():
    result = listing(
        {"external_id": "GS-1013", "status": "ok", "quantity": 45.0, "locations": {"PARIS": 30.0, "LYON": 15.0}},
    ).results["GS-1013"]
    assert (result.quantity, result.locations, result.locations_partial) == (45.0, {"PARIS": 30.0, "LYON": 15.0}, False)


def test_listing_per_location_lines_add_up_by_id():
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 30.0, "location": "PARIS"},
        {"external_id": "B", "status": "ok", "quantity": 4.0, "location": "PARIS"},
        {"external_id": "A", "status": "ok", "quantity": 20.0, "location": "LYON"},
        {"external_id": "A", "status": "ok", "quantity": 0.0, "location": "NICE"},
        {"external_id": "C", "status": "ok", "quantity": 9.0},
    )
    assert read.complete
    assert read.records == 5
    a, b, c = read.results["A"], read.results["B"], read.results["C"]
    assert (a.ok, a.quantity, a.locations) == (True, 50.0, {"PARIS": 30.0, "LYON": 20.0, "NICE": 0.0})
    assert (b.quantity, b.locations) == (4.0, {"PARIS": 4.0})
    assert not a.locations_partial
    # An ID listed without a location, in the same listing, is as it always was.
    assert (c.quantity, c.locations) == (9.0, None)


def test_listing_of_changes_per_location_is_partial():
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 20.0, "location": "LYON"},
        {"external_id": "D", "status": "ok", "quantity": 3.0, "locations": {"PARIS": 3.0}},
        partial=True,
    )
    assert read.results["A"].locations == {"LYON": 20.0}
    assert read.results["A"].locations_partial
    # A locations object is the product's whole stock, even in a listing of changes.
    assert not read.results["D"].locations_partial


def test_listing_per_location_error_line_makes_the_id_an_error():
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 30.0, "location": "PARIS"},
        {
            "external_id": "A",
            "status": "invalid_response",
            "reason": "quantity_negative",
            "location": "LYON",
            "error": "record 2: the quantity -1 is negative",
        },
        {"external_id": "A", "status": "ok", "quantity": 5.0, "location": "NICE"},
    )
    result = read.results["A"]
    assert result.status == "invalid_response"
    assert "negative" in result.error


def test_listing_id_and_location_listed_twice_is_never_applied():
    # sync-cli prints the second record of an ID and location as invalid_response.
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 30.0, "location": "PARIS"},
        {
            "external_id": "A",
            "status": "invalid_response",
            "reason": "listed_twice",
            "location": "PARIS",
            "error": "A at PARIS is listed twice",
        },
    )
    assert read.results["A"].status == "invalid_response"
    # Were it printed ok twice, the ID would still not be applied.
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 30.0, "location": "PARIS"},
        {"external_id": "A", "status": "ok", "quantity": 31.0, "location": "PARIS"},
    )
    assert read.results["A"].status == CLI_ERROR
    assert "twice" in read.results["A"].error


def test_listing_id_with_and_without_location_is_an_error():
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 30.0, "location": "PARIS"},
        {"external_id": "A", "status": "ok", "quantity": 30.0},
    )
    assert read.results["A"].status == CLI_ERROR
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 30.0},
        {"external_id": "A", "status": "ok", "quantity": 30.0, "location": "PARIS"},
    )
    assert read.results["A"].status == CLI_ERROR


def test_listing_per_location_bad_code_is_that_ids_error():
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 30.0, "location": ".."},
        {"external_id": "B", "status": "ok", "quantity": 1.0, "location": "PARIS"},
    )
    assert read.complete
    assert read.results["A"].status == CLI_ERROR
    assert read.results["B"].ok


def test_incomplete_listing_per_location_gives_nothing():
    read = listing(
        {"external_id": "A", "status": "ok", "quantity": 30.0, "location": "PARIS"},
        trailer={"listing": "incomplete", "records": 1, "pages": 1, "error": "page 2 answered 503"},
    )
    assert not read.complete
    assert read.results == {}


def test_real_sync_cli_prints_locations(sync_cli_bin, mock_api):
    """The real sync-cli against the real mock-api: the contract, end to end."""
    from synccli import ListingSettings, SyncCliSettings, fetch, list_stock

    url = mock_api(
        [
            {
                "product_id": "L-1",
                "locations": [{"location": "PARIS", "quantity": "30"}, {"location": "LYON", "quantity": 20}],
            },
            {"product_id": "L-2", "quantity": "4"},
        ]
    )
    cli = SyncCliSettings(base_url=url, cli_path=sync_cli_bin, retries=0, timeout=5)
    results = fetch(["L-1", "L-2"], cli)
    assert results["L-1"].locations == {"PARIS": 30.0, "LYON": 20.0}
    assert results["L-2"].locations is None
    read = list_stock(cli, ListingSettings())
    assert read.complete, read.error
    assert read.results["L-1"].locations == {"PARIS": 30.0, "LYON": 20.0}


def test_location_field_reaches_sync_cli_only_when_set():
    from synccli import ListingSettings, SyncCliSettings

    cli = SyncCliSettings(base_url="http://127.0.0.1:1", cli_path="sync-cli")
    assert not any(arg.startswith("--location-field") for arg in ListingSettings().argv(cli))
    argv = ListingSettings(location_field="/location_id").argv(cli)
    assert "--location-field=/location_id" in argv
    with pytest.raises(ValueError, match="location field"):
        ListingSettings(location_field="location_id")
