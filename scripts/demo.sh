#!/usr/bin/env bash
# The demo store: sets up a store from fixtures/, rings up sample sales, prints the
# receipts, X and Z reports and the sales report, and verifies the journal; then runs
# the store live: the edge agent with its embedded MQTT broker, the local API and the
# till in the browser, and simulated vending machines, a gate and a smart shelf
# (opentill-sim devices). Ctrl-C stops everything.
# Extra arguments go to `opentill-edge demo` (e.g. --sales 100).
# DEMO_SERVE=0 stops after the setup; DEMO_HTTP, DEMO_MQTT and DEMO_PRINTER choose the ports.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-ui.sh
cargo build --quiet --locked -p opentill-edge -p opentill-hardware --bins
bin="${CARGO_TARGET_DIR:-target}/debug"
data="$(mktemp -d -t opentill-demo-XXXXXX)/store"
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
OPENTILL_LOG="${OPENTILL_LOG:-warn}" "$bin/opentill-edge" serve --data "$data" --listen "$http" --mqtt "embedded:$mqtt" --printer "tcp:$printer" &
pids+=($!)
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/${mqtt%:*}/${mqtt##*:}") 2>/dev/null; then break; fi
    sleep 0.1
done
"$bin/opentill-sim" devices --broker "$mqtt" --store DEMO01 --pass "$(cat "$data/member-pass.txt")" &
pids+=($!)
echo
echo "The till in the browser: http://$http/ (cashier c01, PIN 1234; supervisor s01, PIN 9001)"
echo "Live devices, vends and alerts: http://$http/api/devices, /api/vends, /api/alerts"
echo "Receipts print on the simulated printer at $printer (shown here, kept in $printed)"
echo "Ctrl-C stops the demo."
wait -n "${pids[@]}"
