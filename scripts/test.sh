#!/usr/bin/env bash
# The project's test command (`make test`): Rust checks and tests, the addon's
# Odoo-free tests, the documentation's links, then the addon's tests in a real
# Odoo 19 found as `odoo` on PATH, in a fresh database that is dropped
# afterwards, and the Docker image's entrypoint against that Odoo.
#
# Environment:
#   PGHOST, PGPORT, PGUSER, PGPASSWORD  the database server, as Odoo 19
#                   reads them (over what its configuration file says)
#   ODOO_TEST_ARGS  extra arguments for odoo (e.g. "--db_host=db -r odoo -w odoo")
#   ODOO_TEST_TIMEOUT  seconds the Odoo run may take (default 1800)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked
    cargo test --workspace --doc --locked
else
    cargo test --workspace --locked
fi

step "build sync-cli and mock-api"
cargo build --workspace --bins --locked
export SYNC_CLI_BIN="$root/target/debug/sync-cli"
export MOCK_API_BIN="$root/target/debug/mock-api"

step "fuzz targets build (no fuzzing)"
# So that a change of sync-cli's library cannot break them unnoticed.
fuzz/check.sh

step "Python lint (ruff)"
python3 -m ruff check .

step "addon: sync-cli runner tests (pytest, no Odoo)"
# Run from the tests' own folder: pytest must not import the addon package
# above it, which needs Odoo.
(cd stock_sync_api/synccli/tests && python3 -m pytest -q -p no:cacheprovider)

step "docs: relative links and anchors (pytest)"
# README.md, docs/*.md and the addon's readme/ fragments; from the tests' own
# folder, as above.
(cd scripts/tests && python3 -m pytest -q -p no:cacheprovider)

step "docker compose file"
# A parser of the Compose specification, which needs no Docker engine.
if command -v docker-compose >/dev/null 2>&1; then
    docker-compose -f docker-compose.yml config -q
    echo "docker-compose.yml is valid ($(docker-compose version --short))"
elif docker compose version >/dev/null 2>&1; then
    docker compose -f docker-compose.yml config -q
    echo "docker-compose.yml is valid ($(docker compose version --short))"
else
    cat >&2 <<'MSG'
##########################################################################
#  docker-compose.yml WAS NOT VALIDATED: neither `docker-compose` nor    #
#  `docker compose` is installed (Debian: apt-get install docker-compose)#
##########################################################################
MSG
fi

step "addon: tests in Odoo 19"
if ! command -v odoo >/dev/null 2>&1; then
    cat >&2 <<'MSG'
##########################################################################
#  THE ODOO TESTS DID NOT RUN: no `odoo` command on PATH.                #
#  Everything else passed. Install Odoo 19 so that `odoo` runs it (as in #
#  the official Docker image), or run the tests in the Docker stack.     #
##########################################################################
MSG
    exit 0
fi

db="stock_sync_api_test_$(date +%Y%m%d%H%M%S)_$$"
log="$(mktemp -t stock_sync_api_odoo_test.XXXXXX.log)"
# shellcheck disable=SC2086  # ODOO_TEST_ARGS is a list of arguments
drop_db() { odoo db ${ODOO_TEST_ARGS:-} drop "$db" >/dev/null 2>&1 || true; }
trap drop_db EXIT

echo "database $db, full log in $log"
status=0
# In the background, so that a SIGTERM or SIGINT (a CI time limit, Ctrl-C)
# stops Odoo at once, and the EXIT trap then drops the database. timeout runs
# Odoo in a process group of its own, and hands a signal on to it.
# shellcheck disable=SC2086
timeout "${ODOO_TEST_TIMEOUT:-1800}" odoo ${ODOO_TEST_ARGS:-} \
    -d "$db" --addons-path="$root" -i stock_sync_api --with-demo \
    --test-tags /stock_sync_api --http-port=0 --stop-after-init \
    >"$log" 2>&1 &
odoo_pid=$!
stop_odoo() {
    trap - INT TERM
    echo "stopped: stopping Odoo, then dropping the database $db" >&2
    kill -TERM "$odoo_pid" 2>/dev/null || true
    for _ in $(seq 30); do
        kill -0 "$odoo_pid" 2>/dev/null || break
        sleep 1
    done
    kill -KILL -- "-$odoo_pid" 2>/dev/null || true
    wait "$odoo_pid" 2>/dev/null || true
    exit "$1"
}
trap 'stop_odoo 130' INT
trap 'stop_odoo 143' TERM
wait "$odoo_pid" || status=$?
trap - INT TERM

# What the tests did, without the module installation's noise nor the INFO
# lines a test logs as it goes (a browser tour logs each of its steps).
grep -E "stock_sync_api\.tests\.|odoo\.tests\.result|CRITICAL|Traceback" "$log" \
    | grep -Ev ": Starting [A-Za-z]+\.test_| INFO .*stock_sync_api\.tests\.[a-z_]+\.[A-Za-z]+\.test_[a-z0-9_]+(\.browser)?: " \
    || true

result="$(grep -E "odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log" | tail -n 1 || true)"
if [ "$status" -ne 0 ] || [ -z "$result" ]; then
    connection_error="$(grep -m 1 -E "OperationalError: (connection to server|could not connect)" "$log" || true)"
    if [ -n "$connection_error" ]; then
        echo "Odoo tests FAILED: odoo could not connect to PostgreSQL: ${connection_error#*OperationalError: }" >&2
        echo "Tell odoo where its database server is: its configuration file (ODOO_RC), PGHOST, PGPORT, PGUSER and PGPASSWORD, or ODOO_TEST_ARGS (.ci/run sets them for the server it sets up)" >&2
        exit 1
    fi
    echo "Odoo tests FAILED (exit status $status); last lines of the log:" >&2
    tail -n 60 "$log" >&2
    exit 1
fi
if ! grep -Eq "odoo\.tests\.result: 0 failed, 0 error\(s\) of [1-9][0-9]* tests" <<<"$result"; then
    echo "Odoo tests FAILED: $result" >&2
    exit 1
fi
# Odoo counts a test it cannot run (e.g. a browser tour without Chromium or the
# Python package websocket-client) as skipped, and exits 0: here that fails.
# A test logs "<its module>: skipped Class.test : why"; a whole class skipped
# in setUpClass logs "odoo.tests.suite: skipped setUpClass (<module>.Class) : why".
skipped_re="stock_sync_api\.tests\.[a-z_.]+: skipped |: skipped setUpClass \([a-z_.]*stock_sync_api\.tests\."
if grep -Eq "$skipped_re" "$log"; then
    grep -E "$skipped_re" "$log" >&2
    echo "Odoo tests FAILED: some of the addon's tests were skipped (above); install what they need" >&2
    exit 1
fi
total="$(sed -E 's/.* of ([0-9]+) tests.*/\1/' <<<"$result")"
echo "odoo: $total passed, 0 failed"
drop_db

step "the Docker image's entrypoint, against this Odoo (scripts/test_entrypoint.sh)"
"$root/scripts/test_entrypoint.sh"
