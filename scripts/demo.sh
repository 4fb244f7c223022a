#!/usr/bin/env bash
# The demo store: sets up a store from fixtures/, rings up sample sales, prints the
# receipts, X and Z reports and the sales report, and verifies the journal.
# Extra arguments go to `opentill-edge demo` (e.g. --data DIR --sales 100).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo run --quiet --locked -p opentill-edge -- demo "$@"
