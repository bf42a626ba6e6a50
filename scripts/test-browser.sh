#!/usr/bin/env bash
# The browser step: the console's unit tests (form generation, in Node), then headless Chromium
# (Debian's chromium, driven by playwright-core) through the Worker (workerd) against the emulator:
# the npm package in proxy mode (tests/browser/browser.test.mjs) and the admin console served by
# the Worker (tests/browser/console.test.mjs, screenshots in target/console-artifacts/), and the
# console per upstream profile, genesys-cloud and cxone (tests/browser/console-profiles.test.mjs). Builds the
# package, the console and the Worker when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
bash scripts/build-console.sh
node --test console/test/
exec node --test --test-concurrency=1 tests/browser/
