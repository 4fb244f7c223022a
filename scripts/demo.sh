#!/usr/bin/env bash
# The demo store: sets up a store from fixtures/, rings up sample sales, prints the
# receipts, X and Z reports and the sales report, and verifies the journal.
# Extra arguments go to `opentill-edge demo` (e.g. --data DIR --sales 100).
# It also builds the browser UI (ui/dist) when it is missing or older than its sources,
# so `opentill-edge serve --data DIR` then serves the till at http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-ui.sh
cargo run --quiet --locked -p opentill-edge -- demo "$@"
echo "The till in the browser: opentill-edge serve --data DIR, then open http://127.0.0.1:8080/ (cashier c01, PIN 1234)."
