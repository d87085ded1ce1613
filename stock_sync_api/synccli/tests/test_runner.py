"""Tests of the sync-cli runner, without Odoo.

The end-to-end tests run the real sync-cli against the real mock-api. The
faults that the real sync-cli never shows (crashing, hanging, printing
garbage or too few lines) are produced by a small stand-in program.
"""

import base64
import json
import os
import threading
import time
from pathlib import Path

import pytest
from synccli import (
    CLI_ERROR,
    INVALID_ID,
    BackgroundFetch,
    FetchResult,
    SyncCliSettings,
    check_external_id,
    fetch,
    parse_line,
    parse_output,
)

TOKEN = "s3cret-token-value"


def settings(base_url="http://127.0.0.1:9", **values):
    values.setdefault("timeout", 2)
    values.setdefault("retries", 0)
    return SyncCliSettings(base_url=base_url, **values)


# --- settings -----------------------------------------------------------


def test_argv_never_holds_url_or_token():
    config = settings("http://api.example:5000", token=TOKEN, endpoint="/v2/{id}")
    argv = config.argv()
    assert argv[:2] == ["sync-cli", "fetch"]
    assert not any(TOKEN in arg or "api.example" in arg or "/v2/" in arg for arg in argv)
    assert argv[argv.index("--timeout") + 1] == "2"
    assert argv[argv.index("--retries") + 1] == "0"
    assert argv[argv.index("--concurrency") + 1] == "32"
    assert argv[argv.index("--max-quantity") + 1] == "1000000000"
    assert settings(max_quantity=12.5).argv()[-1] == "12.5"


def test_env_carries_url_endpoint_and_token_and_drops_inherited_ones():
    inherited = {"PATH": "/bin", "STOCK_API_TOKEN": "inherited", "STOCK_API_ENDPOINT": "/old/{id}"}
    env = settings("http://api.example", token=TOKEN).env(inherited)
    assert env["STOCK_API_URL"] == "http://api.example"
    assert env["STOCK_API_TOKEN"] == TOKEN
    assert "STOCK_API_ENDPOINT" not in env
    assert env["PATH"] == "/bin"
    assert "STOCK_API_TOKEN" not in settings().env(inherited)
    assert "STOCK_API_CA_FILE" not in env
    assert settings(ca_file="/etc/ssl/private-ca.pem").env({})["STOCK_API_CA_FILE"] == "/etc/ssl/private-ca.pem"


def test_token_is_not_in_repr():
    assert TOKEN not in repr(settings(token=TOKEN))


@pytest.mark.parametrize(
    "values, message",
    [
        ({"base_url": ""}, "base URL"),
        ({"cli_path": ""}, "path to sync-cli"),
        ({"timeout": 0}, "timeout must be between 1 and 3600 seconds, not 0"),
        ({"timeout": 3601}, "timeout must be between 1 and 3600 seconds, not 3601"),
        ({"retries": -1}, "retries"),
        ({"retries": 11}, "retries"),
        ({"concurrency": 0}, "concurrency must be between 1 and 256, not 0"),
        ({"concurrency": 257}, "concurrency"),
        ({"max_quantity": 0}, "largest quantity must be between 1 and 100000000000000"),
        ({"max_quantity": 0.5}, "largest quantity"),
        ({"max_quantity": 1e15}, "largest quantity"),
    ],
)
def test_bad_settings_are_refused_with_their_name(values, message):
    values.setdefault("base_url", "http://x")
    with pytest.raises(ValueError, match=message):
        SyncCliSettings(**values)


def test_run_timeout_grows_with_the_batch():
    config = settings(timeout=10, retries=2, concurrency=8, time_margin=30)
    one_wave = config.run_timeout(8)
    assert one_wave == 30 + 3 * 10 + 2 * 10 + config.waiting_time(8)
    assert config.run_timeout(9) == 30 + 2 * (3 * 10 + 2 * 10) + config.waiting_time(9)
    assert config.run_timeout(800) > config.run_timeout(80)


def test_run_timeout_allows_for_the_quota_holds():
    """Each answer saying the quota is spent may hold every request up to
    60 s: one such hold per 50 requests, and one more, are allowed for."""
    config = settings(timeout=10, retries=2, concurrency=8, time_margin=30)
    assert config.waiting_time(1) == 2 * 60
    assert config.waiting_time(50) == 2 * 60
    assert config.waiting_time(51) == 3 * 60
    assert config.waiting_time(1000) == 21 * 60
    assert config.run_timeout(1) == 30 + 3 * 10 + 2 * 10 + 2 * 60


@pytest.mark.parametrize("concurrency", [1, 8, 32, 128, 256])
def test_run_timeout_allows_for_the_request_rate_cap(concurrency):
    """1,000 IDs at 2 requests a second take at least 500 s, each retry one
    more request under the cap: the time limit allows for all of them, and
    raising the concurrency never makes it shorter than that."""
    for max_rps, retries in ((2, 0), (2, 2), (0.5, 2), (0.5, 10)):
        config = settings(timeout=10, retries=retries, concurrency=concurrency, max_rps=max_rps)
        paced = 1000 * (retries + 1) / max_rps
        assert config.run_timeout(1000) >= config.time_margin + paced + config.request_time_limit()
        uncapped = settings(timeout=10, retries=retries, concurrency=concurrency)
        assert config.run_timeout(1000) == uncapped.run_timeout(1000) + paced
    # The figures: at least 500 s of requests, whatever the concurrency.
    assert all(settings(retries=2, concurrency=c, max_rps=2).run_timeout(1000) > 500 for c in (32, 128, 256))
    assert settings(retries=2, concurrency=256, max_rps=0.5).run_timeout(1000) > 2000


# --- external IDs ---------------------------------------------------------


@pytest.mark.parametrize("external_id", ["GS-1001", "a/b?c#d%e", "with space", "café", "x" * 255])
def test_acceptable_external_ids(external_id):
    assert check_external_id(external_id) is None


@pytest.mark.parametrize(
    "external_id, reason",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 256, "longer than 255"),
        (" GS-1", "spaces"),
        ("GS-1 ", "spaces"),
        ("\u00a0", "spaces"),
        ("GS\n1", "control character (U+000A)"),
        ("GS\r1", "control character (U+000D)"),
        ("GS\x001", "control character (U+0000)"),
        ("GS\u20281", "control character (U+2028)"),
        ("\x1c", "control character (U+001C)"),
        ("..", "cannot be sent as a URL path segment"),
    ],
)
def test_unacceptable_external_ids(external_id, reason):
    assert reason in check_external_id(external_id)


def test_invalid_ids_are_not_sent(fake_cli):
    cli = fake_cli("print(json.dumps({'external_id': ids[0], 'status': 'ok', 'quantity': len(ids)}))")
    results = fetch(["bad\nid", "GS-1"], settings(cli_path=cli))
    assert results["bad\nid"].status == INVALID_ID
    # the stand-in saw one ID only, so it answered quantity 1
    assert results["GS-1"] == FetchResult("GS-1", "ok", quantity=1.0)


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        fetch(["A", "A"], settings())


# --- parsing ----------------------------------------------------------------


def test_parse_line_ok_and_failures():
    assert parse_line('{"external_id":"A","status":"ok","quantity":50.0}', "A") == FetchResult("A", "ok", 50.0)
    assert parse_line('{"external_id":"A","status":"ok","quantity":0,"extra":1}', "A").quantity == 0.0
    result = parse_line('{"external_id":"A","status":"not_found","http_status":404,"error":"gone"}', "A")
    assert result == FetchResult("A", "not_found", error="gone", http_status=404)
    result = parse_line('{"external_id":"A","status":"timeout"}', "A")
    assert result.error == "sync-cli reported timeout without a message"


@pytest.mark.parametrize(
    "line, reason",
    [
        ("garbage", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"external_id":"B","status":"ok","quantity":1}', "answer for 'B'"),
        ('{"external_id":"A","status":"maybe"}', "unknown status"),
        ('{"external_id":"A","status":"ok"}', "invalid quantity None"),
        ('{"external_id":"A","status":"ok","quantity":-1}', "invalid quantity -1"),
        ('{"external_id":"A","status":"ok","quantity":"5"}', "invalid quantity '5'"),
        ('{"external_id":"A","status":"ok","quantity":true}', "invalid quantity True"),
        ('{"external_id":"A","status":"ok","quantity":NaN}', "invalid quantity nan"),
        ('{"external_id":"A","status":"ok","quantity":Infinity}', "invalid quantity inf"),
    ],
)
def test_parse_line_refuses_what_breaks_the_contract(line, reason):
    with pytest.raises(ValueError, match=reason):
        parse_line(line, "A")


def test_parse_output_keeps_good_lines_before_a_bad_one():
    stdout = '{"external_id":"A","status":"ok","quantity":1}\nnope\n{"external_id":"C","status":"ok","quantity":3}\n'
    results = parse_output(["A", "B", "C"], stdout, missing_error="missing")
    assert results["A"].quantity == 1.0
    assert results["B"].status == CLI_ERROR
    assert "line 2: not JSON" in results["B"].error
    assert results["C"].status == CLI_ERROR
    assert "line 2" in results["C"].error


def test_parse_output_line_cut_short():
    stdout = '{"external_id":"A","status":"ok","quantity":1}\n{"external_id":"B","sta'
    results = parse_output(["A", "B", "C"], stdout, missing_error="missing")
    assert results["A"].ok
    assert results["B"].error == "sync-cli's output stopped in the middle of line 2"
    assert results["C"].error == "sync-cli's output stopped in the middle of line 2"


# --- the stand-in: faults the real sync-cli never shows -------------------------------


def test_sync_cli_missing():
    results = fetch(["A"], settings(cli_path="/nonexistent/sync-cli"))
    assert results["A"].status == CLI_ERROR
    assert "sync-cli was not found at '/nonexistent/sync-cli'" in results["A"].error


def test_sync_cli_not_executable(tmp_path):
    path = tmp_path / "sync-cli"
    path.write_text("#!/bin/sh\n")
    results = fetch(["A"], settings(cli_path=str(path)))
    assert "permission denied" in results["A"].error


def test_fewer_lines_than_ids(fake_cli):
    cli = fake_cli("print(json.dumps({'external_id': ids[0], 'status': 'ok', 'quantity': 4}))\nsys.exit(3)")
    results = fetch(["A", "B"], settings(cli_path=cli))
    assert results["A"].quantity == 4.0
    assert results["B"] == FetchResult("B", CLI_ERROR, error="sync-cli gave no answer for this product")


def test_garbage_output(fake_cli):
    cli = fake_cli("print('<html>oops</html>')")
    results = fetch(["A", "B"], settings(cli_path=cli))
    assert all(r.status == CLI_ERROR for r in results.values())
    assert "line 1: not JSON" in results["A"].error


def test_crash_keeps_answers_given_before(fake_cli):
    cli = fake_cli(
        """
        print(json.dumps({'external_id': ids[0], 'status': 'ok', 'quantity': 7}), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    results = fetch(["A", "B"], settings(cli_path=cli))
    assert results["A"].quantity == 7.0
    assert results["B"].error == "sync-cli was killed by signal 9"


def test_run_failure_reports_stderr(fake_cli):
    cli = fake_cli("sys.stderr.write('error: cannot read standard input\\n'); sys.exit(1)")
    results = fetch(["A"], settings(cli_path=cli))
    assert results["A"].error == "sync-cli failed with exit status 1: error: cannot read standard input"


def test_usage_error_reports_stderr(fake_cli):
    cli = fake_cli("sys.stderr.write('error: invalid value for --timeout\\n'); sys.exit(2)")
    results = fetch(["A"], settings(cli_path=cli))
    assert results["A"].error == "sync-cli refused its settings: error: invalid value for --timeout"


def test_hanging_sync_cli_is_stopped_and_earlier_answers_kept(fake_cli):
    cli = fake_cli(
        """
        print(json.dumps({'external_id': ids[0], 'status': 'ok', 'quantity': 2}), flush=True)
        time.sleep(60)
        """
    )
    config = settings(cli_path=cli, timeout=1, time_margin=1, quota_hold=0)
    results = fetch(["A", "B"], config)
    assert results["A"].quantity == 2.0
    assert results["B"].error == f"sync-cli did not finish within {config.run_timeout(2):g} seconds and was stopped"


def test_background_fetch_gives_what_fetch_gives(fake_cli):
    cli = fake_cli(
        """
        for i in ids:
            print(json.dumps({'external_id': i, 'status': 'ok', 'quantity': len(i)}), flush=True)
        """
    )
    config = settings(cli_path=cli)
    background = BackgroundFetch(["A", "BB", "bad\nid"], config)
    assert background.result() == fetch(["A", "BB", "bad\nid"], config)
    assert background.result()["BB"].quantity == 2.0


def test_background_fetch_cancelled_stops_sync_cli(fake_cli, tmp_path):
    pid_file = tmp_path / "pid"
    cli = fake_cli(
        f"""
        open({str(pid_file)!r}, 'w').write(str(os.getpid()))
        time.sleep(60)
        """
    )
    background = BackgroundFetch(["A"], settings(cli_path=cli, timeout=60))
    for _ in range(500):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.01)
    background.cancel()
    # Killed, not waited for: it would have ended on its own without a signal.
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    assert background.result()["A"].error == "sync-cli was killed by signal 9"


def test_background_fetch_cancelled_before_sync_cli_starts(fake_cli):
    background = BackgroundFetch(["A"], settings(cli_path=fake_cli("time.sleep(60)"), timeout=60))
    background.cancel()
    assert background.result()["A"].status == CLI_ERROR


def test_stand_in_receives_ids_on_stdin_and_token_in_env_only(fake_cli, tmp_path):
    seen = tmp_path / "seen.json"
    cli = fake_cli(
        f"""
        json.dump({{'argv': sys.argv, 'ids': ids, 'token': os.environ.get('STOCK_API_TOKEN'),
                   'url': os.environ.get('STOCK_API_URL')}}, open({str(seen)!r}, 'w'))
        for i in ids:
            print(json.dumps({{'external_id': i, 'status': 'ok', 'quantity': 1}}))
        """
    )
    results = fetch(["A", "a/b c"], settings("http://api.example", cli_path=cli, token=TOKEN))
    assert all(r.ok for r in results.values())
    data = json.loads(seen.read_text())
    assert data["ids"] == ["A", "a/b c"]
    assert data["token"] == TOKEN
    assert data["url"] == "http://api.example"
    assert not any(TOKEN in arg for arg in data["argv"])


# --- the real sync-cli against the real mock-api ----------------------------------------


PRODUCTS = [
    {"product_id": "P-1", "quantity": "50"},
    {"product_id": "P-2", "quantity": 12.5},
    {"product_id": "a/b c", "quantity": "3"},
    {"product_id": "P-500", "quantity": "1", "fault": "error_500"},
    {"product_id": "P-JSON", "quantity": "1", "fault": "invalid_json"},
    {"product_id": "P-SLOW", "quantity": "1", "fault": "slow"},
]


def test_real_sync_cli_against_mock_api(sync_cli_bin, mock_api):
    url = mock_api(PRODUCTS)
    ids = ["P-1", "P-2", "a/b c", "P-404", "P-500", "P-JSON", "P-SLOW"]
    results = fetch(ids, settings(url, cli_path=sync_cli_bin, timeout=1, retries=0))
    assert [results[i].status for i in ids] == [
        "ok",
        "ok",
        "ok",
        "not_found",
        "http_error",
        "invalid_response",
        "timeout",
    ]
    assert [results[i].quantity for i in ids[:3]] == [50.0, 12.5, 3.0]
    assert results["P-404"].http_status == 404
    assert url in results["P-500"].error


def test_real_sync_cli_connection_error(sync_cli_bin, closed_port_url):
    results = fetch(["P-1"], settings(closed_port_url, cli_path=sync_cli_bin, retries=0))
    assert results["P-1"].status == "connection_error"
    assert closed_port_url in results["P-1"].error


def test_real_sync_cli_sends_the_token_and_never_prints_it(sync_cli_bin, mock_api):
    url = mock_api(PRODUCTS[:1], "--token", TOKEN)
    assert fetch(["P-1"], settings(url, cli_path=sync_cli_bin, token=TOKEN))["P-1"].quantity == 50.0
    refused = fetch(["P-1"], settings(url, cli_path=sync_cli_bin, token="wrong-" + TOKEN))["P-1"]
    assert refused.status == "http_error"
    assert refused.http_status == 401
    assert TOKEN not in refused.error


def test_real_sync_cli_applies_the_quantity_bound(sync_cli_bin, mock_api):
    url = mock_api(PRODUCTS[:2])
    results = fetch(["P-1", "P-2"], settings(url, cli_path=sync_cli_bin, max_quantity=20))
    assert results["P-1"].status == "invalid_response"
    assert "limit" in results["P-1"].error
    assert results["P-2"].quantity == 12.5


def test_real_sync_cli_with_an_unreadable_ca_file(sync_cli_bin, mock_api, tmp_path):
    url = mock_api(PRODUCTS[:1])
    missing = str(tmp_path / "missing-ca.pem")
    result = fetch(["P-1"], settings(url, cli_path=sync_cli_bin, ca_file=missing))["P-1"]
    assert result.status == CLI_ERROR
    assert result.error.startswith("sync-cli refused its settings:")
    assert "missing-ca.pem" in result.error


def test_real_sync_cli_refuses_a_bad_endpoint(sync_cli_bin, mock_api):
    url = mock_api(PRODUCTS[:1])
    result = fetch(["P-1"], settings(url, cli_path=sync_cli_bin, endpoint="/api/stock/"))["P-1"]
    assert result.status == CLI_ERROR
    assert result.error.startswith("sync-cli refused its settings:")
    assert "{id}" in result.error


def _parent_pid(proc):
    """The parent's pid of the process ``proc`` (a /proc/<pid> path): this
    test's own sync-cli, not another test's running at the same time."""
    return int((proc / "stat").read_text().rpartition(")")[2].split()[1])


def _running_sync_cli(sync_cli_bin, config):
    """Run ``fetch(["P-SLOW"], config)`` and read /proc/<pid>/cmdline and
    environ of the real sync-cli while it waits on the slow answer.

    :return: ``(cmdline, environ, results)``
    """
    results = {}
    worker = threading.Thread(target=lambda: results.update(fetch(["P-SLOW"], config)))
    worker.start()
    try:
        running = None
        deadline = time.monotonic() + 5
        while running is None and time.monotonic() < deadline:
            for proc in Path("/proc").iterdir():
                try:
                    if (
                        proc.name.isdigit()
                        and os.path.realpath(proc / "exe") == os.path.realpath(sync_cli_bin)
                        and _parent_pid(proc) == os.getpid()
                    ):
                        running = proc
                        break
                except OSError:
                    continue
            time.sleep(0.05)
        assert running is not None, "sync-cli was not seen running"
        cmdline = (running / "cmdline").read_bytes()
        environ = (running / "environ").read_bytes()
    finally:
        worker.join()
    return cmdline, environ, results


def test_token_not_in_the_running_sync_cli_command_line(sync_cli_bin, mock_api):
    """Read /proc/<pid>/cmdline of the real sync-cli while it waits on a slow answer."""
    url = mock_api(PRODUCTS, "--token", TOKEN)
    config = settings(url, cli_path=sync_cli_bin, token=TOKEN, timeout=3, retries=0)
    cmdline, environ, results = _running_sync_cli(sync_cli_bin, config)
    assert b"fetch" in cmdline
    assert TOKEN.encode() not in cmdline
    assert f"STOCK_API_TOKEN={TOKEN}".encode() in environ.split(b"\0")
    assert results["P-SLOW"].status == "timeout"
    assert TOKEN not in results["P-SLOW"].error


def test_basic_credentials_not_in_the_running_sync_cli_command_line(sync_cli_bin, mock_api):
    """The user of HTTP Basic authentication, the token and the base64 text
    that carries them are in sync-cli's environment or nowhere, never in
    its command line."""
    user = "ck_user-key-0123456789abcdef"
    url = mock_api(PRODUCTS)
    config = settings(url, cli_path=sync_cli_bin, token=TOKEN, auth="basic", auth_user=user, timeout=3, retries=0)
    cmdline, environ, results = _running_sync_cli(sync_cli_bin, config)
    encoded = base64.b64encode(f"{user}:{TOKEN}".encode())
    assert b"fetch" in cmdline
    for secret in (user.encode(), TOKEN.encode(), encoded):
        assert secret not in cmdline
    assert encoded not in environ
    variables = environ.split(b"\0")
    assert f"STOCK_API_USER={user}".encode() in variables
    assert f"STOCK_API_TOKEN={TOKEN}".encode() in variables
    assert b"STOCK_API_AUTH=basic" in variables
    assert results["P-SLOW"].status == "timeout"
    for secret in config.secrets():
        assert secret not in results["P-SLOW"].error
