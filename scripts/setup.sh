#!/usr/bin/env bash
# Installs what OpenTill needs on a fresh Debian machine, only what is missing.
# Safe to run again: it changes nothing when everything is present.
set -euo pipefail

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
# nokhwa's V4L2 bindings (the `camera` feature) are generated with bindgen.
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || need_apt+=(libclang-dev)
# A real external broker for the device tests (generated ACL, broker restarts).
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)   # test certificates for the MQTT-over-TLS test
# PostgreSQL's server binaries: the cloud's tests and the ingest benchmark start throwaway
# clusters of their own (initdb, pg_ctl) on a free loopback port.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
# The browser UI (ui/): Node to build it, Chromium for its Playwright end-to-end tests.
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# A Chinese font, so the browser (and the screenshots) show 中文 rather than boxes.
fc-list :lang=zh 2>/dev/null | grep -q . || need_apt+=(fonts-wqy-microhei)
# The Tauri window (src-tauri/, `opentill-till`): WebKitGTK, GTK 3 and friends, found
# through pkg-config (or, for the two without a .pc file, their headers).
pc_has() { pkg-config --exists "$1" 2>/dev/null; }
pc_has webkit2gtk-4.1 || need_apt+=(libwebkit2gtk-4.1-dev)
pc_has gtk+-3.0 || need_apt+=(libgtk-3-dev)
pc_has librsvg-2.0 || need_apt+=(librsvg2-dev)
pc_has ayatana-appindicator3-0.1 || need_apt+=(libayatana-appindicator3-dev)
[ -f /usr/include/xdo.h ] || need_apt+=(libxdo-dev)
pc_has openssl || need_apt+=(libssl-dev)
command -v file >/dev/null 2>&1 || need_apt+=(file)
# The window test (ui/e2e/window.mjs): a virtual display, WebKitGTK's WebDriver, screenshots.
command -v Xvfb >/dev/null 2>&1 || need_apt+=(xvfb)
command -v xauth >/dev/null 2>&1 || need_apt+=(xauth)
command -v import >/dev/null 2>&1 || need_apt+=(imagemagick)
command -v WebKitWebDriver >/dev/null 2>&1 || need_apt+=(webkit2gtk-driver)

if ((${#need_apt[@]})); then
    echo "setup: installing ${need_apt[*]}" >&2
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

# NodeSource's nodejs package brings npm; Debian's own needs its npm package too.
if command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends npm
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
    echo "setup: the UI (ui/) needs Node.js 20.19 or newer (Vite 8); found $(node --version 2>/dev/null || echo none)" >&2
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo is missing; install the Rust toolchain (rustup) first" >&2
    exit 1
fi

# tauri-driver: the WebDriver server the window test talks to; it drives WebKitWebDriver.
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "setup: installing tauri-driver" >&2
    cargo install tauri-driver --version '^2' --locked
fi
