#!/usr/bin/env bash
# End-to-end tests of the Cloudflare Worker: builds the emulator and the Worker, then runs every
# tests/e2e/*.test.mjs (node --test, one file at a time). Each file starts its own emulator and
# Worker (workerd via `wrangler dev --local`, with a fresh KV) and talks to them over real HTTP.
# With no file named, it then runs the short fault soak (tests/e2e/soak.mjs, SOAK_N=120 unless
# set; SOAK_N=0 skips it), which exits non-zero when an invocation is lost, runs twice or ends in a
# wrong state, and Schemathesis (tests/e2e/schemathesis.mjs). Exits non-zero when a build, a test,
# the soak or Schemathesis fails.
#
#   scripts/test-worker.sh                      all files, then the short soak
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
# A file whose process never exits (a server left open after a failed start) must not hold CI: the
# files take a few minutes together, so 20 minutes means something hangs.
timeout --kill-after=30 1200 node --test --test-concurrency=1 "${files[@]}" || status=$?
if [ $# -eq 0 ] && [ "${SOAK_N:-120}" != 0 ]; then
  log "fault soak: SOAK_N=${SOAK_N:-120} invocations through two Worker instances"
  SOAK_N="${SOAK_N:-120}" timeout --kill-after=30 900 node tests/e2e/soak.mjs || status=$?
fi
if [ $# -eq 0 ]; then
  log "schemathesis against the Worker's OpenAPI description"
  timeout --kill-after=30 600 node tests/e2e/schemathesis.mjs || status=$?
fi
log "done in $(( $(date +%s) - started ))s (exit $status)"
exit "$status"
