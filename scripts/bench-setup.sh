#!/usr/bin/env bash
# Installs the baselines the benchmarks compare against, only when missing.
set -euo pipefail
if ! command -v zbarimg >/dev/null 2>&1; then
    SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends zbar-tools
fi
