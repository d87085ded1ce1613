#!/usr/bin/env bash
# Takes the screenshots of the README and of the addon's app page
# (stock_sync_api/static/description/) in a real Odoo 19, in French:
#
#   docs/screenshots/product_form.png      product form, "API Synchronisation" page after a sync
#   docs/screenshots/product_variants.png  a T-shirt in three sizes: its variants on its page, synced
#   docs/screenshots/variant_list.png      the Product Variants list with its sync columns
#   docs/screenshots/product_list.png      product list: sync filters and optional sync columns
#   docs/screenshots/settings.png          Inventory settings, "API Synchronisation" block
#                                          (with the brake and the stock API location)
#   docs/screenshots/scheduled_action.png  the hourly scheduled action
#   docs/screenshots/run_list.png          Inventory > Reporting > API Synchronisations
#   docs/screenshots/run_form.png          a synchronisation and its lines (changes, an error)
#   docs/screenshots/run_held.png          a scheduled synchronisation held by the brake,
#                                          with Apply and Discard
#
# It creates a throwaway database with the addon, its demo data and French,
# starts mock-api (built-in demo data) and Odoo on free ports, drives headless
# Chromium with Playwright (scripts/screenshots/take.mjs), then stops
# everything and drops the database. A second mock-api, which answers 0 for
# every product, makes the held synchronisation: a stock API gone wrong.
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
zero_pid=""
odoo_pid=""
cleanup() {
    for pid in $odoo_pid $mock_pid $zero_pid; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $odoo_pid $mock_pid $zero_pid; do
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

# mock_url NAME: the URL that the mock-api writing to $work/NAME.out listens on.
mock_url() {
    local url=""
    for _ in $(seq 100); do
        url="$(sed -nE '1s/^listening on (http:.*)$/\1/p' "$work/$1.out")"
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { echo "$1 did not start" >&2; cat "$work/$1.err" >&2; return 1; }
    echo "$url"
}

# External IDs of the products of the held synchronisation: the demo data's,
# the product with an error below, and a dozen more made by the Odoo shell.
extra_ids="$(seq -s ' ' -f 'GS-%g' 1101 1112)"
all_ids="$(seq -s ' ' -f 'GS-%g' 1001 1012) GS-9004 $extra_ids"

step "mock-api: the demo data, and one that answers 0 for every product"
"$mock_api" --bind 127.0.0.1:0 >"$work/mock-api.out" 2>"$work/mock-api.err" &
mock_pid=$!
api_url="$(mock_url mock-api)"
echo "mock-api at $api_url"
# shellcheck disable=SC2086  # one argument per external ID
python3 -c 'import json, sys; print(json.dumps([{"product_id": i, "quantity": "0"} for i in sys.argv[1:]]))' \
    $all_ids >"$work/zero.json"
"$mock_api" --bind 127.0.0.1:0 --data "$work/zero.json" >"$work/zero-api.out" 2>"$work/zero-api.err" &
zero_pid=$!
zero_url="$(mock_url zero-api)"
echo "mock-api answering 0 at $zero_url"

step "settings, French admin, synchronisations: a held one, one by hand, a preview"
# Office Chair (GS-1001) is left for the browser to synchronise. GS-9004 is
# the mock-api's demo product that answers invalid JSON: it shows an error.
# First the scheduled synchronisation, against the API that answers 0: the
# brake (its default settings) holds it, nothing is applied. Then, against
# the demo API, a synchronisation by hand and a preview.
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
location = env.ref("stock.warehouse0").lot_stock_id
names = ["Agrafeuse", "Boîte d'archives", "Casque audio", "Chaise visiteur", "Classeur à levier",
         "Corbeille à papier", "Écran 27 pouces", "Repose-pieds", "Station d'accueil USB-C",
         "Stylos bille (50)", "Tapis de souris", "Webcam HD"]
for external_id, name, quantity in zip("$extra_ids".split(), names, range(8, 100, 7)):
    product = Template.create({"name": name, "is_storable": True, "api_external_id": external_id})
    env["stock.quant"]._update_available_quantity(product.product_variant_id, location, quantity)
env.cr.commit()
# The scheduled action, as OdooBot (here in French), while the API answers 0.
params.set_param("stock_sync_api.base_url", "$zero_url")
env["stock.sync.run"].with_user(env.ref("base.user_root"))._cron_sync()
env.cr.commit()
held_run = env["stock.sync.run"].search([("trigger", "=", "cron")], order="id desc", limit=1)
assert held_run.state == "held", held_run.state
# Then the demo API: a synchronisation by hand, and a preview.
params.set_param("stock_sync_api.base_url", "$api_url")
first = Template.search([("api_external_id", "in", ["GS-1002", "GS-1003", "GS-1004", "GS-1005", "GS-1006", "GS-9004"])])
first.action_api_sync()
done_run = first.api_last_run_id[:1]
env.cr.commit()
Template.search([("api_external_id", "in", ["GS-1007", "GS-1008", "GS-1009", "GS-1010"])]).action_api_sync_preview()
env.cr.commit()
ids = {
    "office_chair": env.ref("stock_sync_api.product_gs_1001").product_tmpl_id.id,
    "tshirt": env.ref("stock_sync_api.product_tshirt").id,
    "cron": env.ref("stock_sync_api.ir_cron_api_sync").id,
    "done_run": done_run.id,
    "held_run": held_run.id,
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
cp "$out_dir/product_form.png" "$out_dir/product_list.png" "$out_dir/run_held.png" "$description_dir/"
ls -l "$out_dir"/*.png
echo "copied product_form.png, product_list.png and run_held.png into ${description_dir#"$root"/}"
