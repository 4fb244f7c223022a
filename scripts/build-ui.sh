#!/usr/bin/env bash
# Builds the browser UI into ui/dist, only when needed: `npm ci` when node_modules is
# missing or older than package-lock.json, `npm run build` when ui/dist is missing or
# older than any source.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
fi
if [ ! -f dist/index.html ] || [ -n "$(find src index.html package-lock.json vite.config.ts tsconfig.json -newer dist/index.html -print -quit)" ]; then
    npm run build
fi
