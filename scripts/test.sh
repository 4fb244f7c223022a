#!/usr/bin/env bash
# Runs every test of the workspace. RUN_SLOW_TESTS=1 runs the long versions
# (2,000 SIGKILLs in the crash test instead of 200).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo test --workspace --locked "$@"
# The webcam source is behind a feature; make sure it still builds.
cargo check -p opentill-edge --features camera --locked
