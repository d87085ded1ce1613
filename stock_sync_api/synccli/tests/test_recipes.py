"""The recipes of docs/configuration.md ("Recipes for real stock APIs"), each
tried with the addon's own runner and the real sync-cli against a stand-in
that answers as the real API documents it: its credentials, its paging, its
records and its filter by ID. A request with the wrong credentials gets 401,
as the real API answers it."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from synccli import ListingSettings, SyncCliSettings, list_stock

WOO_KEY = "ck_0f6a2b9c4d1e8f7a6b5c4d3e2f1a0b9c8d7e6f5a"
WOO_SECRET = "cs_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
SHOPIFY_TOKEN = "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"
FRAPPE_KEY, FRAPPE_SECRET = "a1b2c3d4e5f6a7b", "0f1e2d3c4b5a697"


class StandIn(BaseHTTPRequestHandler):
    """Answers as the real API does; ``self.server.api`` says which."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.server.requests.append(self.path)
        api = self.server.api
        if not getattr(self, f"_authorised_{api}")():
            return self._send(401, {"message": "Unauthorized"})
        return getattr(self, f"_answer_{api}")(url.path, query)

    def _send(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    # WooCommerce REST API v3: HTTP Basic with the consumer key and secret;
    # GET /wp-json/wc/v3/products?per_page=N&page=P&include=1,2 answers a JSON
    # array of products (an empty array past the last page).
    def _authorised_woocommerce(self):
        expected = "Basic " + base64.b64encode(f"{WOO_KEY}:{WOO_SECRET}".encode()).decode()
        return self.headers.get("Authorization") == expected

    def _answer_woocommerce(self, path, query):
        if path != "/wp-json/wc/v3/products":
            return self._send(404, {"code": "rest_no_route"})
        products = [{"id": 101 + n, "sku": f"TS-{n}", "type": "simple", "stock_quantity": 10 * n} for n in range(5)]
        if "include" in query:
            wanted = query["include"].split(",")
            products = [product for product in products if str(product["id"]) in wanted]
        size, page = int(query.get("per_page", 10)), int(query.get("page", 1))
        return self._send(200, products[(page - 1) * size : page * size], [("X-WP-Total", str(len(products)))])

    # Shopify Admin API: X-Shopify-Access-Token; inventory levels for the
    # given locations, paged by the Link header's rel="next" (page_info).
    def _authorised_shopify(self):
        return self.headers.get("X-Shopify-Access-Token") == SHOPIFY_TOKEN

    def _answer_shopify(self, path, query):
        if path != "/admin/api/2024-10/inventory_levels.json":
            return self._send(404, {"errors": "Not Found"})
        levels = [
            {"inventory_item_id": 808950810 + n, "location_id": location, "available": n + 10 * k}
            for n in range(5)
            for k, location in enumerate((905684977, 905684978))
        ]
        # As Shopify's, a next page's page_info carries the filters of the first request.
        start, _, location_ids = query.get("page_info", "0:" + query.get("location_ids", "")).partition(":")
        if location_ids:
            levels = [level for level in levels if str(level["location_id"]) in location_ids.split(",")]
        if "inventory_item_ids" in query:
            wanted = query["inventory_item_ids"].split(",")
            levels = [level for level in levels if str(level["inventory_item_id"]) in wanted]
        start = int(start)
        size = int(query.get("limit", 50))
        headers = []
        if start + size < len(levels):
            host = self.headers.get("Host")
            page_info = f"{start + size}:{location_ids}"
            headers.append(("Link", f'<http://{host}{path}?limit={size}&page_info={page_info}>; rel="next"'))
        return self._send(200, {"inventory_levels": levels[start : start + size]}, headers)

    # Frappe / ERPNext: Authorization: token key:secret; GET /api/resource/Bin
    # with fields, filters, limit_start and limit_page_length, answers
    # {"data": [...]}.
    def _authorised_frappe(self):
        return self.headers.get("Authorization") == f"token {FRAPPE_KEY}:{FRAPPE_SECRET}"

    def _answer_frappe(self, path, query):
        if path != "/api/resource/Bin":
            return self._send(404, {"exc_type": "DoesNotExistError"})
        bins = [{"item_code": f"ITEM-{n}", "warehouse": "Stores - GS", "actual_qty": 3.0 * n} for n in range(5)]
        filters = json.loads(query.get("filters", "[]"))
        for field, _operator, value in filters:
            bins = [row for row in bins if row[field] == value]
        start, size = int(query.get("limit_start", 0)), int(query.get("limit_page_length", 20))
        return self._send(200, {"data": bins[start : start + size]})


@pytest.fixture
def stand_in():
    servers = []

    def start(api):
        server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
        server.api = api
        server.requests = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def settings(sync_cli_bin, url, **values):
    return SyncCliSettings(base_url=url, cli_path=sync_cli_bin, retries=0, timeout=5, **values)


#: The recipe's settings, as docs/configuration.md gives them.
WOOCOMMERCE = {
    "endpoint": "/wp-json/wc/v3/products",
    "paging": "page",
    "page_param": "page",
    "page_size_param": "per_page",
    "page_size": 100,
    "records_path": "",
    "id_field": "/id",
    "quantity_field": "/stock_quantity",
    "ids_param": "include",
}


def test_woocommerce_products_with_basic_auth(sync_cli_bin, stand_in):
    server, url = stand_in("woocommerce")
    cli = settings(sync_cli_bin, url, auth="basic", auth_user=WOO_KEY, token=WOO_SECRET)
    listing = list_stock(cli, ListingSettings(**dict(WOOCOMMERCE, page_size=2)), expected=5)
    assert listing.complete, listing.error
    assert {key: result.quantity for key, result in listing.results.items()} == {
        str(101 + n): 10.0 * n for n in range(5)
    }
    # Pages of 2, then the empty page that ends a page-numbered listing.
    assert len(server.requests) == 4
    # A few products: the page with include, then the empty page after it.
    server.requests.clear()
    few = list_stock(cli, ListingSettings(**WOOCOMMERCE), external_ids=["102", "104"])
    assert {key: result.quantity for key, result in few.results.items()} == {"102": 10.0, "104": 30.0}
    assert len(server.requests) == 2
    assert all("include=102,104" in request for request in server.requests), server.requests


def test_woocommerce_wrong_secret_is_refused_and_never_shown(sync_cli_bin, stand_in):
    _server, url = stand_in("woocommerce")
    cli = settings(sync_cli_bin, url, auth="basic", auth_user=WOO_KEY, token="cs_wrong_secret_0123456789")
    listing = list_stock(cli, ListingSettings(**WOOCOMMERCE))
    assert not listing.complete
    assert listing.reason == "unauthorized"
    assert WOO_KEY not in listing.error and "cs_wrong_secret" not in listing.error


SHOPIFY = {
    "endpoint": "/admin/api/2024-10/inventory_levels.json?location_ids=905684977",
    "paging": "link",
    "page_size_param": "limit",
    "page_size": 250,
    "records_path": "/inventory_levels",
    "id_field": "/inventory_item_id",
    "quantity_field": "/available",
    "ids_param": "inventory_item_ids",
}


def test_shopify_inventory_levels_with_its_token_header(sync_cli_bin, stand_in):
    server, url = stand_in("shopify")
    cli = settings(sync_cli_bin, url, auth="header", auth_header="X-Shopify-Access-Token", token=SHOPIFY_TOKEN)
    listing = list_stock(cli, ListingSettings(**dict(SHOPIFY, page_size=2)), expected=5)
    assert listing.complete, listing.error
    assert {key: result.quantity for key, result in listing.results.items()} == {
        str(808950810 + n): float(n) for n in range(5)
    }
    assert len(server.requests) == 3
    few = list_stock(cli, ListingSettings(**SHOPIFY), external_ids=["808950812"])
    assert {key: result.quantity for key, result in few.results.items()} == {"808950812": 2.0}


def test_shopify_inventory_levels_of_several_locations(sync_cli_bin, stand_in):
    """One record per item and location: added up by location, each with the
    Shopify location's ID as its code (mapped to Odoo's locations)."""
    _server, url = stand_in("shopify")
    cli = settings(sync_cli_bin, url, auth="header", auth_header="X-Shopify-Access-Token", token=SHOPIFY_TOKEN)
    several = dict(
        SHOPIFY,
        endpoint="/admin/api/2024-10/inventory_levels.json?location_ids=905684977,905684978",
        location_field="/location_id",
        page_size=3,
    )
    listing = list_stock(cli, ListingSettings(**several), expected=10)
    assert listing.complete, listing.error
    item = listing.results["808950812"]
    assert item.quantity == 2.0 + 12.0
    assert item.locations == {"905684977": 2.0, "905684978": 12.0}


FRAPPE = {
    "endpoint": '/api/resource/Bin?fields=["item_code","actual_qty"]&filters=[["warehouse","=","Stores - GS"]]',
    "paging": "offset",
    "offset_param": "limit_start",
    "page_size_param": "limit_page_length",
    "page_size": 500,
    "records_path": "/data",
    "id_field": "/item_code",
    "quantity_field": "/actual_qty",
}


def test_frappe_bin_report_with_its_token(sync_cli_bin, stand_in):
    server, url = stand_in("frappe")
    cli = settings(
        sync_cli_bin, url, auth="header", auth_header="Authorization", token=f"token {FRAPPE_KEY}:{FRAPPE_SECRET}"
    )
    listing = list_stock(cli, ListingSettings(**dict(FRAPPE, page_size=2)), expected=5)
    assert listing.complete, listing.error
    assert {key: result.quantity for key, result in listing.results.items()} == {f"ITEM-{n}": 3.0 * n for n in range(5)}
    # Offsets 0, 2, 4, then the empty page that ends an offset listing.
    assert len(server.requests) == 4
