"""The API's own credentials (``auth``, ``auth_header``, ``auth_user``), the
request-rate cap over a whole run, and the listing's limits, without Odoo.

The real sync-cli is tried against a small stand-in HTTP server that checks
the credentials the way a real API does (mock-api checks a Bearer token
only), and against the real mock-api for the rate cap and the listing.
"""

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from synccli import ListingSettings, SyncCliSettings, fetch, list_stock
from synccli.output import redact

TOKEN = "cs_secret-0123456789abcdef"
USER = "ck_key-fedcba9876543210"
ENCODED = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()


def settings(base_url="http://127.0.0.1:9", **values):
    values.setdefault("timeout", 2)
    values.setdefault("retries", 0)
    return SyncCliSettings(base_url=base_url, **values)


# --- the settings, the environment and the command line ----------------------------


def test_bearer_is_the_default_and_sends_no_user():
    config = settings(token=TOKEN)
    env = config.env({"STOCK_API_USER": "inherited", "STOCK_API_AUTH_HEADER": "X-Old", "STOCK_API_AUTH": "basic"})
    assert env["STOCK_API_AUTH"] == "bearer"
    assert "STOCK_API_USER" not in env
    assert "STOCK_API_AUTH_HEADER" not in env
    assert config.secrets() == (TOKEN,)


def test_header_auth_names_its_header_in_the_environment():
    config = settings(token=TOKEN, auth="header", auth_header="X-Shopify-Access-Token")
    env = config.env({})
    assert (env["STOCK_API_AUTH"], env["STOCK_API_AUTH_HEADER"]) == ("header", "X-Shopify-Access-Token")
    assert env["STOCK_API_TOKEN"] == TOKEN
    assert "STOCK_API_USER" not in env
    assert not any("X-Shopify" in arg or TOKEN in arg for arg in config.argv())


def test_basic_auth_gives_the_user_in_the_environment_only():
    config = settings(token=TOKEN, auth="basic", auth_user=USER)
    env = config.env({"STOCK_API_AUTH_HEADER": "X-Old"})
    assert (env["STOCK_API_AUTH"], env["STOCK_API_USER"], env["STOCK_API_TOKEN"]) == ("basic", USER, TOKEN)
    assert "STOCK_API_AUTH_HEADER" not in env
    argv = config.argv()
    assert not any(USER in arg or TOKEN in arg or ENCODED in arg for arg in argv)
    assert USER not in repr(config)
    assert TOKEN not in repr(config)
    assert set(config.secrets()) == {TOKEN, USER, ENCODED}


def test_basic_auth_with_an_empty_token():
    """PrestaShop's key is the user, and the password is empty."""
    config = settings(auth="basic", auth_user=USER)
    assert "STOCK_API_TOKEN" not in config.env({})
    assert set(config.secrets()) == {USER, base64.b64encode(f"{USER}:".encode()).decode()}


@pytest.mark.parametrize(
    "values, message",
    [
        ({"auth": "digest"}, "authentication must be one of bearer, header, basic"),
        ({"auth": "header"}, "needs the name of the header"),
        ({"auth": "header", "auth_header": "X Api Key"}, "must be an HTTP header name"),
        ({"auth": "header", "auth_header": "X-Key:"}, "must be an HTTP header name"),
        ({"auth": "header", "auth_header": "Host"}, "cannot carry the token"),
        ({"auth": "header", "auth_header": "content-length"}, "cannot carry the token"),
        ({"auth": "basic"}, "needs the API user"),
        ({"auth": "basic", "auth_user": "key:with-colon"}, "must not contain a colon"),
        ({"auth": "basic", "auth_user": "key\nline"}, "control character"),
    ],
)
def test_bad_credentials_are_refused_without_repeating_the_user(values, message):
    with pytest.raises(ValueError, match=message) as raised:
        settings(**values)
    if values.get("auth_user"):
        assert values["auth_user"] not in str(raised.value)


@pytest.mark.parametrize("name", ["X-Shopify-Access-Token", "Authorization", "x-api-key", "X_Key.1"])
def test_header_names_accepted(name):
    assert settings(auth="header", auth_header=name).env({})["STOCK_API_AUTH_HEADER"] == name


def test_redact_hides_the_token_the_user_and_their_base64():
    secrets = settings(token=TOKEN, auth="basic", auth_user=USER).secrets()
    text = f"user {USER}, token {TOKEN[2:12]}, header Basic {ENCODED[4:30]}"
    assert redact(text, secrets) == "user <redacted>, token <redacted>, header Basic <redacted>"
    # One secret, as before.
    assert redact(f"a {TOKEN} b", TOKEN) == "a <redacted> b"
    assert redact("nothing", ()) == "nothing"


def test_the_user_on_stderr_or_in_an_answer_never_reaches_a_message(fake_cli):
    cli = fake_cli(
        "import base64\n"
        "user, token = os.environ['STOCK_API_USER'], os.environ['STOCK_API_TOKEN']\n"
        "sys.stderr.write('as ' + user + '\\n')\n"
        "encoded = base64.b64encode((user + ':' + token).encode()).decode()\n"
        "print(json.dumps({'external_id': ids[0], 'status': 'http_error', 'error': 'sent Basic ' + encoded}))\n"
        "sys.exit(1)\n"
    )
    results = fetch(["A", "B"], settings(cli_path=cli, token=TOKEN, auth="basic", auth_user=USER))
    assert results["A"].error == "sent Basic <redacted>"
    assert "<redacted>" in results["B"].error
    for result in results.values():
        for secret in (USER, TOKEN, ENCODED):
            for i in range(len(secret) - 7):
                assert secret[i : i + 8] not in result.error


# --- the real sync-cli against a stand-in that checks the credentials --------------


class _CheckingHandler(BaseHTTPRequestHandler):
    """Answers ``/api/stock/<id>`` with quantity 5 when the request carries
    ``server.expected`` (header name, value) and no other credentials; 401
    otherwise; ``/api/stock`` is a listing of one page. Records every
    request's headers (their names in lower case)."""

    def do_GET(self):  # noqa: N802 -- the name http.server calls
        self.server.seen.append({name.lower(): value for name, value in self.headers.items()})
        name, value = self.server.expected
        others = [header for header in ("Authorization", "X-Api-Key") if header.lower() != name.lower()]
        if self.headers.get(name) != value or any(self.headers.get(header) for header in others):
            self._answer(401, {"error": "unauthorized"})
            return
        path = urlsplit(self.path).path
        if path == "/api/stock":
            self._answer(200, {"items": [{"product_id": "L-1", "quantity": "5"}], "next_cursor": None})
            return
        self._answer(200, {"product_id": path.rsplit("/", 1)[-1], "quantity": "5"})

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def checking_api():
    """Start the stand-in; returns a function taking the expected header and
    giving ``(url, seen headers)``."""
    servers = []

    def start(name, value):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _CheckingHandler)
        server.expected = (name, value)
        server.seen = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", server.seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_real_sync_cli_sends_http_basic(sync_cli_bin, checking_api):
    url, seen = checking_api("Authorization", f"Basic {ENCODED}")
    config = settings(url, cli_path=sync_cli_bin, token=TOKEN, auth="basic", auth_user=USER)
    assert fetch(["W-1"], config)["W-1"].quantity == 5.0
    assert seen[0]["authorization"] == f"Basic {ENCODED}"
    wrong = settings(url, cli_path=sync_cli_bin, token=TOKEN, auth="basic", auth_user="ck_other-user-0000")
    refused = fetch(["W-1"], wrong)["W-1"]
    assert (refused.status, refused.http_status) == ("http_error", 401)
    assert "ck_other" not in refused.error


def test_real_sync_cli_sends_the_token_in_its_own_header(sync_cli_bin, checking_api):
    url, seen = checking_api("X-Api-Key", TOKEN)
    config = settings(url, cli_path=sync_cli_bin, token=TOKEN, auth="header", auth_header="X-Api-Key")
    assert fetch(["S-1"], config)["S-1"].quantity == 5.0
    assert seen[0]["x-api-key"] == TOKEN
    assert "authorization" not in seen[0]
    # The default, Bearer, is refused by this API.
    refused = fetch(["S-1"], settings(url, cli_path=sync_cli_bin, token=TOKEN))["S-1"]
    assert refused.http_status == 401
    assert TOKEN not in refused.error


def test_real_sync_cli_lists_with_http_basic(sync_cli_bin, checking_api):
    url, seen = checking_api("Authorization", f"Basic {ENCODED}")
    config = settings(url, cli_path=sync_cli_bin, token=TOKEN, auth="basic", auth_user=USER)
    listing = list_stock(config, ListingSettings())
    assert listing.complete, listing.error
    assert listing.results["L-1"].quantity == 5.0
    assert seen[0]["authorization"] == f"Basic {ENCODED}"


# --- a capped run is slow, never stopped -----------------------------------------------


def test_a_capped_run_is_slow_never_stopped(sync_cli_bin, mock_api):
    """40 products at 10 requests a second with 256 concurrent requests take
    about 4 s; with a time margin of 1 s and 1 s per request, the time limit
    used to be 2 s, and stopped the run."""
    products = [{"product_id": f"R-{n}", "quantity": str(n)} for n in range(40)]
    url = mock_api(products)
    config = settings(
        url, cli_path=sync_cli_bin, timeout=1, concurrency=256, max_rps=10, time_margin=1, quota_hold=0
    )
    assert config.run_timeout(40) >= 1 + 1 + 40 / 10
    started = time.monotonic()
    results = fetch([product["product_id"] for product in products], config)
    elapsed = time.monotonic() - started
    assert all(result.ok for result in results.values()), {r.error for r in results.values() if not r.ok}
    assert elapsed >= 3.5


def test_the_listing_time_limit_allows_for_the_request_rate_cap(monkeypatch):
    """A listing reads one page after the other, each under the cap."""
    from synccli import listing as listing_module

    limits = []

    def run_process(argv, stdin, env, time_limit, started):
        limits.append(time_limit)
        raise OSError("not run")

    monkeypatch.setattr(listing_module, "_run_process", run_process)
    capped = settings(timeout=10, retries=2, max_rps=0.5, time_margin=30)
    list_stock(capped, ListingSettings(page_size=500), expected=100_000)
    pages = 100_000 // 500 + 10
    assert limits[-1] == capped.run_timeout(pages, concurrency=1)
    assert limits[-1] >= 30 + pages * 3 / 0.5 + pages * capped.request_time_limit()
    # At most the pages the listing may have.
    list_stock(capped, ListingSettings(page_size=500, max_pages=5), expected=100_000)
    assert limits[-1] == capped.run_timeout(5, concurrency=1)


# --- the listing's limits ---------------------------------------------------------------


PRODUCTS = [{"product_id": f"GS-{n}", "quantity": str(n)} for n in range(1, 201)]


def test_the_listing_gets_its_limits(sync_cli_bin):
    argv = ListingSettings(max_page_bytes=2048, max_pages=7).argv(settings(cli_path=sync_cli_bin))
    assert "--max-body-bytes=2048" in argv
    assert "--max-pages=7" in argv
    defaults = ListingSettings().argv(settings())
    assert "--max-body-bytes=1048576" in defaults
    assert "--max-pages=100000" in defaults


@pytest.mark.parametrize(
    "values, message",
    [
        ({"max_page_bytes": 1023}, "max page bytes must be between 1024 and 268435456"),
        ({"max_pages": 0}, "max pages must be between 1 and 10000000"),
    ],
)
def test_the_listing_limits_are_checked(values, message):
    with pytest.raises(ValueError, match=message):
        ListingSettings(**values)


def test_a_page_over_the_limit_ends_the_listing_incomplete(sync_cli_bin, mock_api):
    url = mock_api(PRODUCTS)
    config = settings(url, cli_path=sync_cli_bin, timeout=5)
    small = list_stock(config, ListingSettings(page_size=100, max_page_bytes=1024), expected=200)
    assert not small.complete
    assert "1024" in small.error
    # Lowering the page size, or raising the limit, fixes it.
    assert list_stock(config, ListingSettings(page_size=10, max_page_bytes=1024), expected=200).complete
    assert list_stock(config, ListingSettings(page_size=100, max_page_bytes=65536), expected=200).complete


def test_more_pages_than_allowed_end_the_listing_incomplete(sync_cli_bin, mock_api):
    url = mock_api(PRODUCTS)
    config = settings(url, cli_path=sync_cli_bin, timeout=5)
    listing = list_stock(config, ListingSettings(page_size=50, max_pages=3), expected=200)
    assert not listing.complete
    assert "3" in listing.error
    assert list_stock(config, ListingSettings(page_size=50, max_pages=4), expected=200).complete


def test_the_environment_of_a_listing_carries_the_credentials(fake_cli, tmp_path):
    seen = tmp_path / "seen.json"
    cli = fake_cli(
        f"""
        json.dump({{'argv': sys.argv, 'env': {{k: v for k, v in os.environ.items() if k.startswith('STOCK_API_')}}}},
                  open({str(seen)!r}, 'w'))
        print(json.dumps({{'listing': 'complete', 'records': 0, 'pages': 1}}))
        """
    )
    config = settings(cli_path=cli, token=TOKEN, auth="basic", auth_user=USER)
    assert list_stock(config, ListingSettings()).complete
    data = json.loads(seen.read_text())
    assert data["env"]["STOCK_API_USER"] == USER
    assert data["env"]["STOCK_API_AUTH"] == "basic"
    assert not any(USER in arg or TOKEN in arg or ENCODED in arg for arg in data["argv"])
    assert os.environ.get("STOCK_API_USER") != USER
