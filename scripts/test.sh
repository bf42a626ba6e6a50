#!/usr/bin/env bash
# Every test, from a fresh machine: sets up (toolchain, npm packages, Chromium), then runs, in order,
# the lints, the native tests (core, driver on virtual time, driver against the real emulator, the
# emulator's own), a smoke run of every fuzz target (cargo-fuzz, nightly), the npm package (Node tests, wasm-bindgen tests in Node, consumer check), the
# Worker end to end in workerd, and the browser tests in headless Chromium.
# Exits non-zero if any step fails; the last line counts the steps.
#   scripts/test.sh            everything
#   scripts/test.sh native     only the named steps (lint, native, fuzz, pkg, worker, browser)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false CARGO_TERM_COLOR=never

bash scripts/setup.sh --test || { echo "setup failed"; echo "steps: 0 passed, 1 failed"; exit 1; }

wanted=("$@")
passed=0
failed=0
failures=()
step() {
  local name=$1; shift
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $name "* ]]; then return 0; fi
  local started=$SECONDS
  printf '\n==== %s: %s\n' "$name" "$*"
  if "$@"; then
    passed=$((passed + 1)); printf '==== %s passed in %ss\n' "$name" $((SECONDS - started))
  else
    failed=$((failed + 1)); failures+=("$name"); printf '==== %s FAILED in %ss\n' "$name" $((SECONDS - started))
  fi
}

lint() {
  cargo clippy --workspace --all-targets -- -D warnings &&
    cargo clippy --lib --target wasm32-unknown-unknown --features js -- -D warnings &&
    cargo clippy --lib --target wasm32-unknown-unknown --features worker -- -D warnings
}
# The proxy client of the package (src/js/proxy.rs) has native tests that need the `js` feature.
native() { cargo test --workspace && cargo test --lib --features js js::; }
fuzz() { bash scripts/test-fuzz.sh; }
pkg() { bash scripts/test-pkg.sh; }
worker() { bash scripts/test-worker.sh; }
browser() { bash scripts/test-browser.sh; }

step lint lint
step native native
step fuzz fuzz
step pkg pkg
step worker worker
[ -f scripts/test-browser.sh ] && step browser browser

echo
[ ${#failures[@]} -gt 0 ] && echo "failed steps: ${failures[*]}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
