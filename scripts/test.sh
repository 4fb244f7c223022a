#!/usr/bin/env bash
# Runs every test of the workspace. RUN_SLOW_TESTS=1 runs the long versions
# (2,000 SIGKILLs in the crash test instead of 200).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The UI first: the Tauri window (src-tauri/) embeds ui/dist when it compiles.
./scripts/build-ui.sh
cargo test --workspace --locked "$@"
# The webcam source is behind a feature; make sure it still builds.
cargo check -p opentill-edge --features camera --locked
# The browser UI: API types still match the Rust API, unit tests, build, then the
# end-to-end flows in Chromium against the opentill-edge that cargo test just built, a
# camera scan through a fake camera, online orders from a real opentill-cloud to the till,
# and a sale in the real Tauri window (opentill-till, also built by cargo test) under Xvfb.
(cd ui && npm run check:api && npm test && npm run e2e && npm run camera && npm run o2o && npm run window)
