#!/usr/bin/env bash
# End-to-end tests of the Cloudflare Worker: builds the emulator and the Worker, then runs every
# tests/e2e/*.test.mjs (node --test, one file at a time). Each file starts its own emulator and
# Worker (workerd via `wrangler dev --local`, with a fresh KV) and talks to them over real HTTP.
# Exits non-zero when a build or a test fails.
#
#   scripts/test-worker.sh                      all files
#   scripts/test-worker.sh tests/e2e/worker-alarms.test.mjs    some files
#   E2E_VERBOSE=1 scripts/test-worker.sh        echo the emulator's and wrangler's output
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[test-worker] %s\n' "$*" >&2; }
started=$(date +%s)

log "building the emulator"
cargo build -p cxone-emulator --quiet
export CXONE_EMULATOR_BIN="$PWD/target/debug/cxone-emulator"

log "building the Worker"
bash scripts/build-worker.sh

export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(tests/e2e/*.test.mjs)
fi
log "running ${#files[@]} test file(s)"
status=0
node --test --test-concurrency=1 "${files[@]}" || status=$?
log "done in $(( $(date +%s) - started ))s (exit $status)"
exit "$status"
