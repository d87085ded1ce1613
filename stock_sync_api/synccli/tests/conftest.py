"""Fixtures for the Odoo-free tests of the sync-cli runner.

``synccli`` is imported on its own (not through the addon, which needs Odoo),
and the real ``sync-cli`` and ``mock-api`` binaries are taken from
``SYNC_CLI_BIN`` / ``MOCK_API_BIN`` or from the workspace's ``target/debug``.
"""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ADDON_DIR = Path(__file__).resolve().parents[2]
WORKSPACE_DIR = ADDON_DIR.parent
sys.path.insert(0, str(ADDON_DIR))


def find_binary(name, env_var):
    """The path of a workspace binary; fails (never skips) when it is missing."""
    candidates = [os.environ.get(env_var), str(WORKSPACE_DIR / "target" / "debug" / name), shutil.which(name)]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(f"{name} not found: build it with `cargo build` or set {env_var}")


@pytest.fixture(scope="session")
def sync_cli_bin():
    return find_binary("sync-cli", "SYNC_CLI_BIN")


@pytest.fixture(scope="session")
def mock_api_bin():
    return find_binary("mock-api", "MOCK_API_BIN")


@pytest.fixture
def mock_api(mock_api_bin, tmp_path):
    """Start the real mock-api on a free port with the given products.

    Returns a function taking the data file's list of products and returning
    the server's base URL.
    """
    processes = []

    def start(products, *extra_args):
        data = tmp_path / f"data-{len(processes)}.json"
        data.write_text(json.dumps(products))
        process = subprocess.Popen(
            [mock_api_bin, "--bind", "127.0.0.1:0", "--data", str(data), *extra_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(process)
        first_line = process.stdout.readline().strip()
        prefix = "listening on "
        if not first_line.startswith(prefix):
            pytest.fail(f"mock-api did not start: first line {first_line!r}")
        return first_line[len(prefix) :]

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def closed_port_url():
    """A URL on a localhost port where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fake_cli(tmp_path):
    """Write an executable stand-in for sync-cli running the given Python body.

    Used only for faults the real sync-cli never shows (crashes, garbage,
    missing lines, hanging): the stand-in reads the IDs from stdin as
    ``ids`` and may print anything.
    """
    counter = iter(range(1000))

    def make(body):
        path = tmp_path / f"fake-sync-cli-{next(counter)}"
        path.write_text(
            f"#!{sys.executable}\n"
            "import json, os, signal, sys, time\n"
            "ids = [line.rstrip('\\n') for line in sys.stdin if line.strip()]\n"
            + textwrap.dedent(body)
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return str(path)

    return make
