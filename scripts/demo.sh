#!/usr/bin/env bash
# The demo store: sets up a store from fixtures/, rings up sample sales, prints the
# receipts, X and Z reports and the sales report, and verifies the journal; then runs
# the store live: a cloud ledger (SQLite), the edge agent with its embedded MQTT broker,
# the local API and the till in the browser, two more tills (each its own replica,
# syncing through the edge agent), and simulated vending machines, a gate and a smart
# shelf (opentill-sim devices). Ctrl-C stops everything.
# Extra arguments go to `opentill-edge demo` (e.g. --sales 100).
# DEMO_SERVE=0 stops after the setup; DEMO_HTTP, DEMO_MQTT, DEMO_PRINTER, DEMO_CLOUD,
# DEMO_TILL2, DEMO_TILL3 and DEMO_STORE2 choose the ports.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-ui.sh
cargo build --quiet --locked -p opentill-edge -p opentill-hardware -p opentill-cloud --bins
bin="${CARGO_TARGET_DIR:-target}/debug"
root="$(mktemp -d -t opentill-demo-XXXXXX)"
data="$root/store"
"$bin/opentill-edge" demo --data "$data" "$@"
[ "${DEMO_SERVE:-1}" = 0 ] && exit 0

http="${DEMO_HTTP:-127.0.0.1:8080}"
mqtt="${DEMO_MQTT:-127.0.0.1:1883}"
printer="${DEMO_PRINTER:-127.0.0.1:9100}"
printed="$(dirname "$data")/printed"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
# The till's receipt printer: a simulated ESC/POS network printer that prints each
# receipt it gets here, decoded, and keeps it in $printed.
"$bin/opentill-sim" printer --listen "$printer" --out "$printed" &
pids+=($!)
wait_for() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "demo: nothing answers on $1" >&2
    return 1
}
# Head office: the cloud ledger on SQLite. The store's edge agent enrols with it.
cloud="${DEMO_CLOUD:-127.0.0.1:8787}"
clouddb="sqlite:$root/cloud/cloud.db"
OPENTILL_LOG="${OPENTILL_LOG:-warn}" "$bin/opentill-cloud" serve --db "$clouddb" --listen "$cloud" >/dev/null &
pids+=($!)
wait_for "$cloud"
code() { "$bin/opentill-cloud" enrol-code --db "$clouddb" --store DEMO01 --tenant demo --brand opentill 2>/dev/null; }
"$bin/opentill-edge" sync enroll --data "$data" --cloud "http://$cloud" --code "$(code)"
# The store seeds head office's shared catalog, so an online shop can order from it; then
# two online orders come in through the cloud (an online shop's pickup order and a
# delivery platform's order): the till's back office shows them under Online orders.
"$bin/opentill-edge" product publish --data "$data" >/dev/null
# Head office runs 9折 on dairy in every store of the tenant: it reaches each store's tills
# with the shared offers document, beside the store's own promotions.
mkdir -p "$root/offers"
cat > "$root/offers/hq-dairy.json" <<'JSON'
{"id": "HQ-DAIRY-10", "kind": {"PercentOff": {"scope": {"Categories": ["dairy"]}, "percent_bp": 1000}},
 "window": {"from_ms": 0, "to_ms": 4102444800000}, "exclusive": false, "priority": 0, "members_only": false}
JSON
"$bin/opentill-cloud" offers put --db "$clouddb" --tenant demo --what promotions "$root/offers/hq-dairy.json" >/dev/null
"$bin/opentill-edge" sync push --data "$data" >/dev/null
mkdir -p "$root/orders"
cat > "$root/orders/pickup.json" <<'JSON'
{"order_id": "SHOP-1001", "store_id": "DEMO01", "channel": "shop", "fulfilment": "pickup",
 "customer_name": "陈女士", "customer_phone": "13800138000",
 "lines": [{"sku": "DRK-00001", "qty": 6}, {"sku": "SNK-00001", "qty": 2}], "note": "下班后来取"}
JSON
cat > "$root/orders/delivery.json" <<'JSON'
{"order_id": "MT-88001", "store_id": "DEMO01", "channel": "meituan", "fulfilment": "delivery",
 "customer_name": "Mr Li", "customer_phone": "13900139000",
 "lines": [{"sku": "DAI-00001", "qty": 4}], "note": "少放冰"}
JSON
for order in "$root"/orders/*.json; do
    "$bin/opentill-cloud" o2o place --db "$clouddb" "$order" >/dev/null 2>&1 || echo "demo: could not place the sample order $order" >&2
done
sync=(--push-every-secs 5 --push-backoff-max-secs 10)
OPENTILL_LOG="${OPENTILL_LOG:-warn}" "$bin/opentill-edge" serve --data "$data" --listen "$http" --mqtt "embedded:$mqtt" --printer "tcp:$printer" "${sync[@]}" &
edge_pid=$!
pids+=($edge_pid)
wait_for "$http"
# Two more tills, each a full replica of its own: they sell with or without the edge
# agent and sync through it (journals, catalog) when it answers.
tills=("${DEMO_TILL2:-127.0.0.1:8081}" "${DEMO_TILL3:-127.0.0.1:8082}")
for n in 2 3; do
    till="$root/till-$n"
    "$bin/opentill-edge" init --data "$till" --store DEMO01 --node "till-$n" --name "OpenTill Demo Store" --name-zh "OpenTill 演示店" --cash-rounding jiao >/dev/null
    "$bin/opentill-edge" import products fixtures/catalog.csv --data "$till" >/dev/null 2>&1
    "$bin/opentill-edge" import users fixtures/cashiers.csv --data "$till" >/dev/null
    "$bin/opentill-edge" sync enroll --data "$till" --cloud "http://$http" --code "$(code)"
    OPENTILL_LOG="${OPENTILL_LOG:-warn}" "$bin/opentill-edge" serve --data "$till" --listen "${tills[$((n - 2))]}" --mqtt off "${sync[@]}" >/dev/null &
    pids+=($!)
done
# A second store of the same tenant, for transfers between stores (调拨): its own edge
# agent and till in the browser. It has stock, and it has shipped DEMO01 goods that are on
# their way: DEMO01's back office (Transfers) shows them in transit, to receive.
store2="$root/store-2"
"$bin/opentill-edge" init --data "$store2" --store DEMO02 --node edge --name "OpenTill Demo Store 2" --name-zh "OpenTill 演示二店" --cash-rounding jiao >/dev/null
"$bin/opentill-edge" import products fixtures/catalog.csv --data "$store2" >/dev/null 2>&1
"$bin/opentill-edge" import users fixtures/cashiers.csv --data "$store2" >/dev/null
"$bin/opentill-edge" po receive --data "$store2" --line DRK-00001:48 --line SNK-00001:24 >/dev/null
"$bin/opentill-edge" sync enroll --data "$store2" --cloud "http://$cloud" --code "$("$bin/opentill-cloud" enrol-code --db "$clouddb" --store DEMO02 --tenant demo --brand opentill 2>/dev/null)"
"$bin/opentill-edge" transfer ship --data "$store2" --to DEMO01 --line DRK-00001:12 --line SNK-00001:6 --note "SF1234567890" >/dev/null
"$bin/opentill-edge" sync push --data "$store2" >/dev/null
store2_http="${DEMO_STORE2:-127.0.0.1:8083}"
OPENTILL_LOG="${OPENTILL_LOG:-warn}" "$bin/opentill-edge" serve --data "$store2" --listen "$store2_http" --mqtt off "${sync[@]}" >/dev/null &
pids+=($!)
wait_for "$mqtt"
"$bin/opentill-sim" devices --broker "$mqtt" --store DEMO01 --pass "$(cat "$data/member-pass.txt")" &
pids+=($!)
echo
echo "The till in the browser: http://$http/ (cashier c01, PIN 1234; supervisor s01, PIN 9001)"
echo "Live devices, vends and alerts: http://$http/api/devices, /api/vends, /api/alerts"
echo "Receipts print on the simulated printer at $printer (shown here, kept in $printed)"
echo "Two more tills, each its own replica: http://${tills[0]}/ and http://${tills[1]}/ (same users)"
echo "A second store, DEMO02: http://$store2_http/ (same users; manager m01, PIN 9999): transfers between the two stores go through the cloud"
echo "Head office (cloud ledger): http://$cloud/v1/totals, /v1/nodes"
echo "Online orders: the back office's Online orders tab; the cloud's view: $bin/opentill-cloud o2o show --db $clouddb --store DEMO01 --order SHOP-1001"
echo "Members are the tenant's: 王芳, registered at the edge agent, is found at every till and in DEMO02 once they sync: $bin/opentill-edge member show 13800138000 --data $root/till-2"
echo "Sync, as each node sees it: $bin/opentill-edge sync status --data $root/till-2 (or $data, $root/till-3)"
echo "Pull the store's network: kill -STOP $edge_pid; the tills keep selling. Plug it back: kill -CONT $edge_pid"
echo "Ctrl-C stops the demo."
wait -n "${pids[@]}"
