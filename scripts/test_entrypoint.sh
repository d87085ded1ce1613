#!/usr/bin/env bash
# Tests of docker/odoo/entrypoint.sh, the odoo image's entrypoint, without
# Docker: it runs against the `odoo` on PATH and the PostgreSQL server that
# Odoo reaches, with a stand-in for the official image's /entrypoint.sh (which
# records how it was called instead of starting a server). Part of `make test`
# where `odoo` is on the PATH; `make test-entrypoint` runs it alone.
#
# What it checks:
#   1. the first start creates the database with the addon, its demo data,
#      the language and the admin's language, the scheduled action not due
#      before an hour, the notification secret from STOCK_SYNC_NOTIFY_SECRET
#      (never printed), and hands on to the official entrypoint; the next
#      start reuses it, and leaves the secret as it is;
#   2. an existing empty database gets the same set-up; one set up without
#      demo data gets the addon, and a note on how to add demo data;
#   3. `odoo SUBCOMMAND ...` and other commands go straight to the official
#      entrypoint;
#   4. run-tests runs the tests, prints its summary line and drops its
#      database;
#   5. run-tests stopped by SIGTERM stops Odoo and drops its database.
#
# Every database it makes is named entrypoint_test_..._<pid> or
# stock_sync_api_test_..._<pid of an entrypoint it started>, and dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
entrypoint="$root/docker/odoo/entrypoint.sh"

if ! command -v odoo >/dev/null 2>&1; then
    echo "test_entrypoint.sh needs Odoo 19 as \`odoo\` on the PATH" >&2
    exit 1
fi

work="$(mktemp -d -t stock_sync_entrypoint_test.XXXXXX)"
suffix="$(date +%Y%m%d%H%M%S)_$$"
first_db="entrypoint_test_first_$suffix"
empty_db="entrypoint_test_empty_$suffix"
nodemo_db="entrypoint_test_nodemo_$suffix"
passed=0
failed=0

pass() {
    passed=$((passed + 1))
    echo "ok      $*"
}
fail() {
    failed=$((failed + 1))
    echo "FAILED  $*" >&2
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
    local what="$1"
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

# The database server Odoo reaches with its own configuration, as libpq's
# variables, which the entrypoint takes over its HOST/USER/... defaults.
settings="$(odoo shell --no-http --log-level=critical 2>&1 <<'PY' || true
import shlex
from odoo import sql_db
from odoo.tools import config
with sql_db.db_connect("postgres").cursor() as cr:
    cr.execute("""SELECT coalesce(host(inet_server_addr()),
                                  split_part(current_setting('unix_socket_directories'), ',', 1)),
                         current_setting('port'), current_user""")
    host, port, user = cr.fetchone()
for name, value in (("PGHOST", host), ("PGPORT", port), ("PGUSER", user),
                    ("PGPASSWORD", config["db_password"] or "")):
    print("setting: export %s=%s" % (name, shlex.quote(str(value))))
PY
)"
if ! grep -q '^setting: ' <<<"$settings"; then
    echo "test_entrypoint.sh: odoo does not reach PostgreSQL: $(tail -n 1 <<<"$settings")" >&2
    exit 1
fi
eval "$(sed -n 's/^setting: //p' <<<"$settings")"
echo "PostgreSQL: $PGUSER at $PGHOST:$PGPORT; work files in $work"

# As the image: the addon in the configuration file's addons path
# (/etc/odoo/odoo.conf there), Odoo's files in a directory of their own.
cat >"$work/odoo.conf" <<CONF
[options]
addons_path = $root
data_dir = $work/data
CONF
export ODOO_RC="$work/odoo.conf"
export ODOO_LANG=fr_FR
# Given to the first start only (section 1).
unset STOCK_SYNC_NOTIFY_SECRET

# The official entrypoint's stand-in: records its arguments, one a line.
cat >"$work/base-entrypoint" <<'SH'
#!/bin/sh
printf '%s\n' "$@" >"$BASE_ENTRYPOINT_ARGS"
SH
chmod 755 "$work/base-entrypoint"
export ODOO_BASE_ENTRYPOINT="$work/base-entrypoint"
export BASE_ENTRYPOINT_ARGS="$work/base-args"

sql() {
    psql -d "$1" -tAXq -v ON_ERROR_STOP=1 -c "$2"
}
db_exists() {
    [ "$(sql postgres "SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]
}
db_gone() {
    ! db_exists "$1"
}

# The pids of the entrypoints started for run-tests: their databases are
# stock_sync_api_test_<date>_<pid>.
run_test_pids=()
cleanup() {
    local name pid patterns="'entrypoint\\_test\\_%\\_$suffix'"
    for pid in "${run_test_pids[@]}"; do
        patterns="$patterns, 'stock\\_sync\\_api\\_test\\_%\\_$pid'"
    done
    for name in $(sql postgres "SELECT datname FROM pg_database WHERE datname LIKE ANY (ARRAY[$patterns])" 2>/dev/null); do
        echo "dropping the database $name"
        odoo db drop "$name" >/dev/null 2>&1 || echo "could not drop the database $name" >&2
    done
    rm -rf "$work"
}
trap cleanup EXIT

# What the entrypoint set up in database $1: the addon, a demo product, the
# admin's language, whether the scheduled action is due an hour after $2.
check_set_up() {
    local name="$1" since="$2"
    check "$name: $addon_name installed" \
        test "$(sql "$name" "SELECT state FROM ir_module_module WHERE name = '$addon_name'")" = installed
    check "$name: demo data (product GS-1001)" \
        test "$(sql "$name" "SELECT count(*) FROM product_template WHERE api_external_id = 'GS-1001'")" = 1
    check "$name: language fr_FR active" \
        test "$(sql "$name" "SELECT active FROM res_lang WHERE code = 'fr_FR'")" = t
    check "$name: the admin's language is fr_FR" \
        test "$(sql "$name" "SELECT p.lang FROM res_users u JOIN res_partner p ON p.id = u.partner_id
                             WHERE u.login = 'admin'")" = fr_FR
    check "$name: the scheduled action is not due before an hour after the set-up" \
        test "$(sql "$name" "SELECT c.nextcall >= timestamp '$since' + interval '1 hour'
                             FROM ir_cron c JOIN ir_model_data d ON d.res_id = c.id AND d.model = 'ir.cron'
                             WHERE d.module = '$addon_name' AND d.name = 'ir_cron_api_sync'")" = t
}
addon_name=stock_sync_api

utc_now() {
    sql postgres "SELECT date_trunc('second', now() AT TIME ZONE 'UTC')"
}

echo
# The addon's notification secret in database $1 (empty when unset).
notify_secret() {
    sql "$1" "SELECT value FROM ir_config_parameter WHERE key = 'stock_sync_api.notify_secret'"
}

echo "==> 1. first start: database $first_db"
since="$(utc_now)"
status=0
first_secret="entrypoint-test-secret-$suffix"
ODOO_DB="$first_db" STOCK_SYNC_NOTIFY_SECRET="$first_secret" "$entrypoint" >"$work/first.log" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
    pass "first start exits 0 (the stand-in server returned)"
else
    fail "first start exited with status $status; last lines:"
    tail -n 30 "$work/first.log" >&2
fi
check "the official entrypoint starts odoo on $first_db only" \
    test "$(cat "$work/base-args" 2>/dev/null)" = "$(printf '%s\n' odoo -d "$first_db" "--db-filter=^$first_db\$")"
check "$first_db exists, ${first_db}__init does not" \
    eval "db_exists $first_db && db_gone ${first_db}__init"
check_set_up "$first_db" "$since"
check "$first_db: the notification secret is STOCK_SYNC_NOTIFY_SECRET's" \
    test "$(notify_secret "$first_db")" = "$first_secret"
secret_said_never_shown() {
    grep -q "notification secret is set from STOCK_SYNC_NOTIFY_SECRET" "$work/first.log" \
        && ! grep -qF "$first_secret" "$work/first.log"
}
check "the first start says the secret is set, never what it is" secret_said_never_shown
rm -f "$work/base-args"
ODOO_DB="$first_db" STOCK_SYNC_NOTIFY_SECRET=another-secret "$entrypoint" --dev=xml >"$work/second.log" 2>&1 || true
check "the next start finds the database and sets nothing up" \
    grep -q "database $first_db found, $addon_name installed" "$work/second.log"
check "the next start leaves the notification secret as it is" \
    test "$(notify_secret "$first_db")" = "$first_secret"
check "the next start passes its arguments on to the server" \
    test "$(cat "$work/base-args" 2>/dev/null)" = "$(printf '%s\n' odoo -d "$first_db" "--db-filter=^$first_db\$" --dev=xml)"

echo
echo "==> 2. an existing empty database: $empty_db"
sql postgres "CREATE DATABASE $empty_db"
since="$(utc_now)"
rm -f "$work/base-args"
status=0
ODOO_DB="$empty_db" "$entrypoint" >"$work/empty.log" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
    pass "start on an empty database exits 0"
else
    fail "start on an empty database exited with status $status; last lines:"
    tail -n 30 "$work/empty.log" >&2
fi
check "it says it installs the addon into the database found" \
    grep -q "database $empty_db found without $addon_name installed: installing it" "$work/empty.log"
check_set_up "$empty_db" "$since"
no_secret_and_says_so() {
    test -z "$(notify_secret "$empty_db")" && grep -q "STOCK_SYNC_NOTIFY_SECRET is not set" "$work/empty.log"
}
check "$empty_db: without STOCK_SYNC_NOTIFY_SECRET no notification secret is set, and it says so" \
    no_secret_and_says_so

echo
echo "==> 2b. an existing database set up without demo data: $nodemo_db"
status=0
odoo -d "$nodemo_db" -i base --stop-after-init --no-http >"$work/nodemo-base.log" 2>&1 || status=$?
check "$nodemo_db set up with base, without demo data" \
    test "$status-$(sql "$nodemo_db" "SELECT demo FROM ir_module_module WHERE name = 'base'")" = 0-f
status=0
ODOO_DB="$nodemo_db" "$entrypoint" >"$work/nodemo.log" 2>&1 || status=$?
check "start on a database without demo data exits 0" test "$status" -eq 0
check "$nodemo_db: $addon_name installed" \
    test "$(sql "$nodemo_db" "SELECT state FROM ir_module_module WHERE name = '$addon_name'")" = installed
check "it says the database has no demo data, and how to add it" \
    grep -q "NOTE: $nodemo_db was set up without demo data.*odoo module force-demo -d $nodemo_db" "$work/nodemo.log"

echo
echo "==> 3. other commands"
rm -f "$work/base-args"
ODOO_DB=unused "$entrypoint" odoo shell -d x >/dev/null 2>&1
check "\`odoo shell -d x\` goes straight to the official entrypoint" \
    test "$(cat "$work/base-args" 2>/dev/null)" = "$(printf '%s\n' odoo shell -d x)"
"$entrypoint" bash -c true >/dev/null 2>&1
check "any other command goes to the official entrypoint as it is" \
    test "$(cat "$work/base-args" 2>/dev/null)" = "$(printf '%s\n' bash -c true)"

echo
echo "==> 4. run-tests"
status=0
"$entrypoint" run-tests --test-tags /stock_sync_api:TestCronSchedule --http-port=0 >"$work/tests.out" 2>"$work/tests.err" &
pid=$!
run_test_pids+=("$pid")
wait "$pid" || status=$?
check "run-tests exits 0" test "$status" -eq 0
check "run-tests ends with its summary" \
    test "$(tail -n 1 "$work/tests.out")" = "stock_sync_api: 3 passed, 0 failed, 0 skipped"
check "run-tests dropped its database" \
    test -z "$(sql postgres "SELECT datname FROM pg_database WHERE datname LIKE 'stock\\_sync\\_api\\_test\\_%\\_$pid'")"
if [ "$status" -ne 0 ]; then
    tail -n 30 "$work/tests.out" "$work/tests.err" >&2
fi

echo
echo "==> 5. run-tests stopped by SIGTERM"
"$entrypoint" run-tests --http-port=0 >"$work/term.out" 2>"$work/term.err" &
pid=$!
run_test_pids+=("$pid")
term_db=""
for _ in $(seq 120); do
    term_db="$(sql postgres "SELECT datname FROM pg_database WHERE datname LIKE 'stock\\_sync\\_api\\_test\\_%\\_$pid'")"
    [ -n "$term_db" ] && break
    sleep 1
done
check "run-tests created its database" test -n "$term_db"
# Odoo is busy installing the addon into it by now.
sleep 10
odoo_running() {
    pgrep -f -- "-d $term_db" >/dev/null
}
check "Odoo runs the tests in $term_db" odoo_running
kill -TERM "$pid"
status=0
started=$SECONDS
wait "$pid" || status=$?
check "run-tests exits with status 143 (SIGTERM)" test "$status" -eq 143
check "run-tests stopped within 60 s ($((SECONDS - started)) s)" test $((SECONDS - started)) -le 60
check "no Odoo process is left on $term_db" eval "! odoo_running"
check "$term_db was dropped" db_gone "$term_db"
check "run-tests says it stopped and dropped the database" \
    eval "grep -q 'stopped: stopping Odoo' '$work/term.err' && grep -q 'database $term_db dropped' '$work/term.err'"
if [ "$status" -ne 143 ]; then
    tail -n 30 "$work/term.out" "$work/term.err" >&2
fi

echo
if [ "$failed" -gt 0 ]; then
    echo "entrypoint: $failed of $((passed + failed)) checks FAILED" >&2
    exit 1
fi
echo "entrypoint: $passed checks passed"
