#!/usr/bin/env bash
# Takes the screenshots of the README and of the addon's app page
# (stock_sync_api/static/description/) in a real Odoo 19, in French:
#
#   docs/screenshots/product_form.png      product form, "API Synchronisation" page after a sync
#   docs/screenshots/product_list.png      product list: sync filters and optional sync columns
#   docs/screenshots/settings.png          Inventory settings, "API Synchronisation" block
#   docs/screenshots/scheduled_action.png  the hourly scheduled action
#
# It creates a throwaway database with the addon, its demo data and French,
# starts mock-api (built-in demo data) and Odoo on free ports, drives headless
# Chromium with Playwright (scripts/screenshots/take.mjs), then stops
# everything and drops the database.
#
# Needs: `odoo` (Odoo 19) on PATH with its PostgreSQL, cargo, Node.js >= 20
# with npm, and Chromium.
#
# Environment:
#   ODOO_ARGS  extra arguments for odoo (e.g. "--db_host=db -r odoo -w odoo")
#   CHROMIUM   the browser to drive (default: chromium, else google-chrome, on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out_dir="$root/docs/screenshots"
description_dir="$root/stock_sync_api/static/description"

step() { printf '\n==> %s\n' "$*"; }

chromium="${CHROMIUM:-$(command -v chromium || command -v google-chrome || true)}"
if [ -z "$chromium" ]; then
    echo "Chromium not found: install it (Debian: apt-get install chromium) or set CHROMIUM" >&2
    exit 1
fi
command -v odoo >/dev/null || { echo "odoo (Odoo 19) not found on PATH" >&2; exit 1; }

step "build sync-cli and mock-api"
cargo build --workspace --bins --locked
mock_api="$root/target/debug/mock-api"
# Odoo finds sync-cli on its PATH, so that the settings show no path of this machine.
export PATH="$root/target/debug:$PATH"

step "Playwright (npm)"
(cd scripts/screenshots && npm ci --no-audit --no-fund --silent)

db="stock_sync_api_screens_$(date +%Y%m%d%H%M%S)_$$"
work="$(mktemp -d -t stock_sync_api_screens.XXXXXX)"
mock_pid=""
odoo_pid=""
cleanup() {
    for pid in $odoo_pid $mock_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $odoo_pid $mock_pid; do
        for _ in $(seq 20); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    # shellcheck disable=SC2086  # ODOO_ARGS is a list of arguments
    odoo db ${ODOO_ARGS:-} drop "$db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "database $db: the addon, demo data, French (a few minutes)"
# shellcheck disable=SC2086
timeout 1200 odoo ${ODOO_ARGS:-} -d "$db" --addons-path="$root" -i stock_sync_api --with-demo \
    --load-language=fr_FR --stop-after-init --http-port=0 >"$work/install.log" 2>&1 \
    || { tail -n 40 "$work/install.log" >&2; exit 1; }

step "mock-api"
"$mock_api" --bind 127.0.0.1:0 >"$work/mock-api.out" 2>"$work/mock-api.err" &
mock_pid=$!
api_url=""
for _ in $(seq 100); do
    api_url="$(sed -nE '1s/^listening on (http:.*)$/\1/p' "$work/mock-api.out")"
    [ -n "$api_url" ] && break
    sleep 0.1
done
[ -n "$api_url" ] || { echo "mock-api did not start" >&2; cat "$work/mock-api.err" >&2; exit 1; }
echo "mock-api at $api_url"

step "settings, French admin, a first synchronisation of some products"
# Office Chair (GS-1001) is left for the browser to synchronise. GS-9004 is
# the mock-api's demo product that answers invalid JSON: it shows an error.
# shellcheck disable=SC2086
timeout 600 odoo shell ${ODOO_ARGS:-} -d "$db" --addons-path="$root" --no-http \
    >"$work/shell.log" 2>&1 <<PY || { tail -n 40 "$work/shell.log" >&2; exit 1; }
import json
params = env["ir.config_parameter"].sudo()
params.set_param("stock_sync_api.base_url", "$api_url")
admin = env.ref("base.user_admin")
admin.write({"lang": "fr_FR", "tz": "Europe/Paris"})
env = env(user=admin, context=dict(env.context, lang="fr_FR", tz="Europe/Paris"))
Template = env["product.template"]
Template.create({"name": "Bibliothèque murale", "default_code": "GS-9004", "is_storable": True,
                 "api_external_id": "GS-9004"})
first = Template.search([("api_external_id", "in", ["GS-1002", "GS-1003", "GS-1004", "GS-1005", "GS-1006", "GS-9004"])])
first._api_sync()
env.cr.commit()
ids = {
    "office_chair": env.ref("stock_sync_api.product_gs_1001").product_tmpl_id.id,
    "cron": env.ref("stock_sync_api.ir_cron_api_sync").id,
}
with open("$work/ids.json", "w") as f:
    json.dump(ids, f)
PY
cat "$work/ids.json"; echo

step "Odoo server"
port="$(free_port)"
# shellcheck disable=SC2086
odoo ${ODOO_ARGS:-} -d "$db" --db-filter="^$db\$" --addons-path="$root" --http-interface=127.0.0.1 \
    --http-port="$port" --workers=0 --max-cron-threads=0 >"$work/odoo.log" 2>&1 &
odoo_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 120); do
    curl -fsS "$url/web/health" >/dev/null 2>&1 && break
    kill -0 "$odoo_pid" 2>/dev/null || { tail -n 40 "$work/odoo.log" >&2; exit 1; }
    sleep 1
done
curl -fsS "$url/web/health" >/dev/null || { tail -n 40 "$work/odoo.log" >&2; exit 1; }
echo "Odoo at $url"

step "screenshots"
mkdir -p "$out_dir" "$description_dir"
ODOO_URL="$url" ODOO_DB="$db" ODOO_LOGIN=admin ODOO_PASSWORD=admin CHROMIUM="$chromium" \
    IDS_FILE="$work/ids.json" OUT_DIR="$out_dir" \
    node scripts/screenshots/take.mjs
cp "$out_dir/product_form.png" "$out_dir/product_list.png" "$description_dir/"
ls -l "$out_dir"/*.png
echo "copied product_form.png and product_list.png into ${description_dir#"$root"/}"
