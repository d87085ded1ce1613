#!/bin/bash
# Entrypoint of the odoo image (docker/Dockerfile, target odoo).
#
#   odoo [ARG...]  on the first start, create the database $ODOO_DB with the
#                  stock_sync_api addon, its demo data and $ODOO_LANG as the
#                  admin's language; then start the Odoo server on that
#                  database, through the official image's entrypoint
#   run-tests [ARG...]
#                  run the addon's tests in a new database, drop it, and exit
#                  non-zero unless none failed; ARGs go to odoo after ours
#                  (e.g. --test-tags /stock_sync_api:TestSync)
#   anything else  run as a command (e.g. bash)
#
# Environment:
#   ODOO_DB        the server's database (default globalshop)
#   ODOO_LANG      language loaded into a new database, and its admin's
#                  (default fr_FR)
#   HOST, PORT, USER, PASSWORD (or PASSWORD_FILE)
#                  PostgreSQL, as for the official image (defaults db, 5432,
#                  odoo, odoo); PGHOST, PGPORT, PGUSER, PGPASSWORD win when set
#   ODOO_BASE_ENTRYPOINT  the official image's entrypoint (default /entrypoint.sh)
set -euo pipefail

addon=stock_sync_api
db="${ODOO_DB:-globalshop}"
export ODOO_LANG="${ODOO_LANG:-fr_FR}"
base_entrypoint="${ODOO_BASE_ENTRYPOINT:-/entrypoint.sh}"

log() { printf 'stock-sync-entrypoint: %s\n' "$*" >&2; }

# The official entrypoint's settings, handed on as libpq's variables, which
# psql, Odoo 19 and the official entrypoint all read.
if [ -n "${PASSWORD_FILE:-}" ]; then
    PASSWORD="$(<"$PASSWORD_FILE")"
fi
export PGHOST="${PGHOST:-${HOST:-db}}"
export PGPORT="${PGPORT:-${PORT:-5432}}"
export PGUSER="${PGUSER:-${USER:-odoo}}"
export PGPASSWORD="${PGPASSWORD:-${PASSWORD:-odoo}}"

wait_for_db() {
    local _
    for _ in $(seq 60); do
        psql -d postgres -tAXqc 'SELECT 1' >/dev/null 2>&1 && return 0
        sleep 1
    done
    log "PostgreSQL at $PGHOST:$PGPORT does not answer:"
    psql -d postgres -tAXqc 'SELECT 1' >/dev/null
}

db_exists() {
    [ "$(psql -d postgres -tAXq -v ON_ERROR_STOP=1 -v name="$1" \
        <<<"SELECT 1 FROM pg_database WHERE datname = :'name';")" = 1 ]
}

# The addon's state in database $1, empty when Odoo is not set up there.
addon_state() {
    psql -d "$1" -tAXqc "SELECT state FROM ir_module_module WHERE name = '$addon'" 2>/dev/null || true
}

admin_lang() {
    psql -d "$1" -tAXqc "SELECT p.lang FROM res_users u JOIN res_partner p ON p.id = u.partner_id
                         WHERE u.id = (SELECT res_id FROM ir_model_data
                                       WHERE module = 'base' AND name = 'user_admin')"
}

# Builds the database under a temporary name and renames it when complete,
# so that a first start cut short is simply done again at the next start.
init_db() {
    local tmp="${db}__init"
    if db_exists "$tmp"; then
        log "dropping $tmp, left by a first start that did not finish"
        odoo db drop "$tmp"
    fi
    log "first start: creating the database $db with $addon, its demo data and $ODOO_LANG (takes a few minutes)"
    odoo -d "$tmp" -i "$addon" --with-demo --load-language="$ODOO_LANG" --stop-after-init --no-http
    if [ "$(admin_lang "$tmp")" != "$ODOO_LANG" ]; then
        odoo shell -d "$tmp" --no-http <<'PY'
import os
env.ref("base.user_admin").lang = os.environ["ODOO_LANG"]
env.cr.commit()
PY
    fi
    if [ "$(admin_lang "$tmp")" != "$ODOO_LANG" ]; then
        log "the admin's language is not $ODOO_LANG in $tmp"
        exit 1
    fi
    odoo db rename "$tmp" "$db"
    log "database $db created"
}

start_server() {
    wait_for_db
    if ! db_exists "$db"; then
        init_db
    else
        local state
        state="$(addon_state "$db")"
        case "$state" in
            installed | "to upgrade" | "to remove")
                log "database $db found, $addon $state"
                ;;
            *)
                log "database $db found without $addon installed: installing it"
                odoo -d "$db" -i "$addon" --load-language="$ODOO_LANG" --stop-after-init --no-http
                ;;
        esac
    fi
    exec "$base_entrypoint" odoo -d "$db" --db-filter="^${db}\$" "$@"
}

run_tests() {
    wait_for_db
    local test_db log_file result status total skipped
    test_db="${addon}_test_$(date +%Y%m%d%H%M%S)_$$"
    log_file="$(mktemp -t "${addon}_test.XXXXXX.log")"
    # shellcheck disable=SC2064  # the name is known now
    trap "odoo db drop '$test_db' >/dev/null 2>&1 || true" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    log "running $addon's tests in the new database $test_db (takes a few minutes)"

    # Shows the tests' warnings, errors (with their tracebacks), skips and
    # result, and any CRITICAL record; the whole log stays in $log_file.
    set +e
    odoo -d "$test_db" -i "$addon" --with-demo --test-tags "/$addon" --stop-after-init "$@" 2>&1 \
        | tee "$log_file" \
        | awk -v tests="$addon.tests." '
            /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {
                show = $4 == "CRITICAL" || index($0, "odoo.tests.result:") \
                    || (index($0, tests) && ($4 == "WARNING" || $4 == "ERROR" || index($0, ": skipped ")))
            }
            show { print; fflush() }'
    status="${PIPESTATUS[0]}"
    set -e

    result="$(grep -E "odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log_file" | tail -n 1 || true)"
    if [ -z "$result" ]; then
        log "tests FAILED: they did not run to the end (odoo exit status $status); last lines of the log:"
        tail -n 60 "$log_file" >&2
        exit 1
    fi
    if [ "$status" -ne 0 ] || ! grep -Eq "odoo\.tests\.result: 0 failed, 0 error\(s\) of [1-9][0-9]* tests" <<<"$result"; then
        log "tests FAILED (odoo exit status $status): ${result#*odoo.tests.result: }"
        exit 1
    fi
    total="$(sed -E 's/.* of ([0-9]+) tests.*/\1/' <<<"$result")"
    skipped="$(grep -cE "$addon\.tests\.[A-Za-z_.]+: skipped " "$log_file" || true)"
    if [ "$skipped" -gt 0 ]; then
        log "NOTE: $skipped of the $total tests were SKIPPED (see above); browser tests need Chrome, which this image lacks"
    fi
    echo "$addon: $((total - skipped)) passed, 0 failed, $skipped skipped"
}

case "${1:-odoo}" in
    odoo)
        shift || true
        if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
            # an Odoo subcommand (shell, db, ...): no server, no set-up
            exec "$base_entrypoint" odoo "$@"
        fi
        start_server "$@"
        ;;
    -*)
        start_server "$@"
        ;;
    run-tests)
        shift
        run_tests "$@"
        ;;
    *)
        exec "$base_entrypoint" "$@"
        ;;
esac
