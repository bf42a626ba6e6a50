#!/usr/bin/env bash
# The npm package in headless Chromium (Debian's chromium, driven by playwright-core), in proxy mode
# through the Worker (workerd) against the emulator. Builds the package and the Worker if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
[ -f pkg/dist/cxone_data_actions_bg.wasm ] || (cd pkg && npm run build)
exec node --test --test-concurrency=1 tests/browser/
