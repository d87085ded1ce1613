#!/bin/bash
# Entrypoint of the odoo image (docker/Dockerfile, target odoo).
#
#   odoo [ARG...]  on the first start, create the database $ODOO_DB with the
#                  stock_sync_api addon, its demo data and $ODOO_LANG as the
#                  admin's language (a database $ODOO_DB that exists without
#                  the addon gets it the same way); then start the Odoo server
#                  on that database, through the official image's entrypoint
#   run-tests [ARG...]
#                  run the addon's tests in a new database, drop it, and exit
#                  non-zero unless none failed; ARGs go to odoo after ours
#                  (e.g. --test-tags /stock_sync_api:TestSync). Stopped by
#                  SIGTERM or SIGINT, it stops Odoo and drops the database too.
#   anything else  run as a command (e.g. bash)
#
# Environment:
#   ODOO_DB        the server's database (default globalshop)
#   ODOO_LANG      language loaded into a new database, and its admin's
#                  (default fr_FR)
#   STOCK_SYNC_NOTIFY_SECRET
#                  the secret of the stock API's notifications, set as the
#                  addon's setting stock_sync_api.notify_secret when the
#                  addon is installed (the first start); later starts leave
#                  the setting as it is (change it in Odoo's settings).
#                  Unset or empty: no secret, notifications refused
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

# The state of module $2 in database $1, empty when Odoo is not set up there
# or does not know the module.
module_state() {
    psql -d "$1" -tAXqc "SELECT state FROM ir_module_module WHERE name = '$2'" 2>/dev/null || true
}

admin_lang() {
    psql -d "$1" -tAXqc "SELECT p.lang FROM res_users u JOIN res_partner p ON p.id = u.partner_id
                         WHERE u.id = (SELECT res_id FROM ir_model_data
                                       WHERE module = 'base' AND name = 'user_admin')"
}

# Whether database $1 has base's demo data: Odoo installs a module's demo
# data only where the modules it depends on have theirs.
has_demo() {
    [ "$(psql -d "$1" -tAXqc "SELECT demo FROM ir_module_module WHERE name = 'base'" 2>/dev/null)" = t ]
}

# Installs the addon into database $1 (new, empty, or set up without it)
# with its demo data and $ODOO_LANG, and makes $ODOO_LANG the admin's
# language: the first start's set-up.
install_addon() {
    local target="$1"
    odoo -d "$target" -i "$addon" --with-demo --load-language="$ODOO_LANG" --stop-after-init --no-http
    if [ "$(admin_lang "$target")" != "$ODOO_LANG" ]; then
        odoo shell -d "$target" --no-http <<'PY'
import os
env.ref("base.user_admin").lang = os.environ["ODOO_LANG"]
env.cr.commit()
PY
    fi
    if [ "$(admin_lang "$target")" != "$ODOO_LANG" ]; then
        log "the admin's language is not $ODOO_LANG in $target"
        exit 1
    fi
    set_notify_secret "$target"
}

# Sets the addon's notification secret in database $1 from
# $STOCK_SYNC_NOTIFY_SECRET, when it is given. The secret goes through the
# environment, never a command line, and is never printed.
set_notify_secret() {
    local target="$1"
    if [ -z "${STOCK_SYNC_NOTIFY_SECRET:-}" ]; then
        log "STOCK_SYNC_NOTIFY_SECRET is not set: the stock API's notifications are refused until a secret is set in the settings"
        return 0
    fi
    STOCK_SYNC_NOTIFY_SECRET="$STOCK_SYNC_NOTIFY_SECRET" odoo shell -d "$target" --no-http --log-level=warn <<'PY'
import os
env["ir.config_parameter"].sudo().set_param("stock_sync_api.notify_secret", os.environ["STOCK_SYNC_NOTIFY_SECRET"].strip())
env.cr.commit()
PY
    log "the stock API's notification secret is set from STOCK_SYNC_NOTIFY_SECRET"
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
    install_addon "$tmp"
    odoo db rename "$tmp" "$db"
    log "database $db created"
}

start_server() {
    wait_for_db
    if ! db_exists "$db"; then
        init_db
    else
        local state
        state="$(module_state "$db" "$addon")"
        case "$state" in
            installed | "to upgrade" | "to remove")
                log "database $db found, $addon $state"
                ;;
            *)
                log "database $db found without $addon installed: installing it with its demo data and $ODOO_LANG (takes a few minutes)"
                if [ "$(module_state "$db" base)" = installed ] && ! has_demo "$db"; then
                    log "NOTE: $db was set up without demo data, so Odoo installs none for $addon;" \
                        "\`odoo module force-demo -d $db\` adds the demo data of every installed module"
                fi
                install_addon "$db"
                ;;
        esac
    fi
    exec "$base_entrypoint" odoo -d "$db" --db-filter="^${db}\$" "$@"
}

# Set while the tests run, for the signal handler and the exit trap.
test_db=""
odoo_pid=""

drop_test_db() {
    [ -n "$test_db" ] && db_exists "$test_db" || return 0
    if odoo db drop "$test_db" >/dev/null 2>&1 && ! db_exists "$test_db"; then
        log "database $test_db dropped"
    else
        log "could not drop the database $test_db: drop it by hand (dropdb $test_db)"
    fi
}

# On SIGTERM (docker stop, a time limit) or SIGINT: stop Odoo, then exit,
# which drops the database (the EXIT trap). Bash runs this at once, as the
# script waits for Odoo with `wait`, not in a foreground pipeline.
stop_tests() {
    local status="$1" _
    trap - INT TERM
    log "stopped: stopping Odoo, then dropping $test_db"
    if [ -n "$odoo_pid" ] && kill -TERM "$odoo_pid" 2>/dev/null; then
        # Odoo stops at its first signal; after 30 s, it is killed.
        for _ in $(seq 30); do
            kill -0 "$odoo_pid" 2>/dev/null || break
            sleep 1
        done
        kill -KILL "$odoo_pid" 2>/dev/null || true
        wait "$odoo_pid" 2>/dev/null || true
    fi
    exit "$status"
}

run_tests() {
    wait_for_db
    local log_file result status total skipped filter_pid
    test_db="${addon}_test_$(date +%Y%m%d%H%M%S)_$$"
    log_file="$(mktemp -t "${addon}_test.XXXXXX.log")"
    trap drop_test_db EXIT
    trap 'stop_tests 130' INT
    trap 'stop_tests 143' TERM
    log "running $addon's tests in the new database $test_db (takes a few minutes)"

    # Odoo runs in the background, its whole log in $log_file; the filter
    # shows the tests' warnings, errors (with their tracebacks), skips and
    # result, and any CRITICAL record, and ends with Odoo.
    odoo -d "$test_db" -i "$addon" --with-demo --test-tags "/$addon" --stop-after-init "$@" >"$log_file" 2>&1 &
    odoo_pid=$!
    tail -n +1 -f --pid="$odoo_pid" "$log_file" \
        | awk -v tests="$addon.tests." '
            /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {
                show = $4 == "CRITICAL" || index($0, "odoo.tests.result:") \
                    || (index($0, tests) && ($4 == "WARNING" || $4 == "ERROR" || index($0, ": skipped ")))
            }
            show { print; fflush() }' &
    filter_pid=$!
    status=0
    wait "$odoo_pid" || status=$?
    odoo_pid=""
    wait "$filter_pid" || true

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
