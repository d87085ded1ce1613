"""Tests of ``sync-cli list``'s runner, without Odoo: the real sync-cli
against the real mock-api, and a stand-in for outputs the real one never
prints."""

import pytest
from synccli import NOT_LISTED, ListingSettings, SyncCliSettings, list_stock, parse_listing

TOKEN = "listing-token-0123456789"

PRODUCTS = [{"product_id": f"GS-{n}", "quantity": str(n)} for n in range(1, 6)]


def cli(sync_cli_bin, url, **values):
    return SyncCliSettings(base_url=url, cli_path=sync_cli_bin, retries=0, timeout=5, **values)


def test_the_whole_listing_page_by_page(sync_cli_bin, mock_api):
    url = mock_api(PRODUCTS)
    listing = list_stock(cli(sync_cli_bin, url), ListingSettings(page_size=2), expected=5)
    assert listing.complete, listing.error
    assert (listing.records, listing.pages) == (5, 3)
    assert {external_id: result.quantity for external_id, result in listing.results.items()} == {
        f"GS-{n}": float(n) for n in range(1, 6)
    }
    assert listing.server_time.endswith("Z")


def test_a_product_not_listed_is_said_missing(sync_cli_bin, mock_api):
    listing = list_stock(cli(sync_cli_bin, mock_api(PRODUCTS)), ListingSettings())
    result = listing.result("GS-404")
    assert (result.status, result.ok) == (NOT_LISTED, False)


def test_only_what_changed_since(sync_cli_bin, mock_api):
    products = [dict(product, updated_at="2026-01-01T00:00:00Z") for product in PRODUCTS]
    products[2]["updated_at"] = "2026-06-01T00:00:00Z"
    listing = list_stock(cli(sync_cli_bin, mock_api(products)), ListingSettings(), since="2026-03-01T00:00:00Z")
    assert listing.complete, listing.error
    assert list(listing.results) == ["GS-3"]


def test_a_page_failing_makes_it_incomplete(sync_cli_bin, mock_api):
    products = [*PRODUCTS, {"product_id": "GS-9", "quantity": "1", "fault": "listing_error_503"}]
    listing = list_stock(cli(sync_cli_bin, mock_api(products)), ListingSettings(page_size=2))
    assert not listing.complete
    assert "503" in listing.error
    assert listing.results == {}


def test_a_bad_record_is_refused_for_its_product(sync_cli_bin, mock_api):
    products = [*PRODUCTS, {"product_id": "GS-NEG", "quantity": "1", "fault": "negative_quantity"}]
    listing = list_stock(cli(sync_cli_bin, mock_api(products)), ListingSettings())
    assert listing.complete
    assert listing.results["GS-NEG"].status == "invalid_response"
    assert listing.results["GS-1"].ok


def test_the_token_goes_to_the_api_and_into_no_message(sync_cli_bin, mock_api):
    url = mock_api(PRODUCTS, "--token", TOKEN)
    assert list_stock(cli(sync_cli_bin, url, token=TOKEN), ListingSettings()).complete
    refused = list_stock(cli(sync_cli_bin, url, token="wrong-" + TOKEN), ListingSettings())
    assert not refused.complete
    assert "401" in refused.error
    assert TOKEN not in refused.error


def test_the_max_rps_reaches_sync_cli(sync_cli_bin, mock_api):
    settings = cli(sync_cli_bin, mock_api(PRODUCTS), max_rps=50)
    assert "--max-rps" in settings.argv()
    assert list_stock(settings, ListingSettings(page_size=1)).complete


def test_an_id_listed_twice_keeps_its_last_line():
    """``sync-cli list`` prints an ID listed again as invalid_response where
    it is listed again; its last line is what counts."""
    stdout = (
        '{"external_id":"A","status":"ok","quantity":5.0}\n'
        '{"external_id":"B","status":"ok","quantity":1.0}\n'
        '{"external_id":"A","status":"invalid_response","error":"A is listed twice"}\n'
        '{"listing":"complete","records":3,"pages":2,"server_time":"2026-12-04T10:00:00Z"}\n'
    )
    listing = parse_listing(stdout)
    assert listing.complete
    assert listing.results["A"].status == "invalid_response"
    assert listing.results["B"].quantity == 1.0


@pytest.mark.parametrize(
    "stdout, why",
    [
        ('{"external_id":"A","status":"ok","quantity":5.0}\n', "without the listing's last line"),
        ('{"external_id":"A","status":"ok","quantity":5.0}\nnot json\n', "unusable line 2"),
        ('{"listing":"complete","records":0,"pages":1}\n{"external_id":"A","status":"ok","quantity":1}\n', "more"),
        ('{"external_id":"A","status":"teleported"}\n{"listing":"complete"}\n', "unknown status"),
        ('{"listing":"incomplete","records":0,"pages":1,"error":"page 2 answered 503"}\n', "page 2 answered 503"),
    ],
)
def test_an_output_off_the_contract_is_incomplete(stdout, why):
    listing = parse_listing(stdout)
    assert not listing.complete
    assert why in listing.error
    assert listing.results == {}


def test_a_crashed_sync_cli_applies_nothing(fake_cli):
    path = fake_cli("print(json.dumps({'external_id': 'A', 'status': 'ok', 'quantity': 1.0}))\nsys.exit(101)\n")
    listing = list_stock(SyncCliSettings(base_url="http://x", cli_path=path), ListingSettings())
    assert not listing.complete
    assert "exit status 101" in listing.error


@pytest.mark.parametrize(
    "key, value",
    [
        ("records_path", "items"),
        ("id_field", "sku"),
        ("endpoint", "api/stock"),
        ("paging", "scroll"),
        ("page_size", 0),
        ("since_param", "updated since"),
    ],
)
def test_listing_settings_refused_before_running(key, value):
    with pytest.raises(ValueError, match=key.replace("_", " ")):
        ListingSettings(**{key: value})


def test_an_empty_records_path_reads_a_top_level_array(sync_cli_bin, mock_api):
    """The empty JSON pointer is the page itself (a listing that is an array)."""
    settings = ListingSettings(records_path="")
    assert "--records-path=" in settings.argv(cli(sync_cli_bin, "http://x"))
    # mock-api's pages are objects: the real sync-cli says so, and nothing is used.
    listing = list_stock(cli(sync_cli_bin, mock_api(PRODUCTS)), settings)
    assert not listing.complete
    assert listing.results == {}
