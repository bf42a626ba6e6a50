#!/usr/bin/env bash
# The Worker's state benchmark (tests/e2e/bench-state.mjs): upstream requests, Durable Object
# requests and KV operations per kind of invocation; with a REV, also sync-invoke throughput and
# p50 of this build against REV's build, alternating rounds in one run. REV is checked out in a
# scratch worktree under target/bench-base (kept, with its own build, for the next run).
#   scripts/bench-state.sh [REV]       e.g. scripts/bench-state.sh 8e49b00
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
cargo build -p cxone-emulator --quiet
export CXONE_EMULATOR_BIN="$PWD/target/debug/cxone-emulator"
bash scripts/build-worker.sh
if [ $# -gt 0 ]; then
  base="$PWD/target/bench-base/$1"
  if [ ! -d "$base" ]; then
    mkdir -p "$(dirname "$base")"
    git worktree add --detach "$base" "$1"
  fi
  (cd "$base" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && bash scripts/build-worker.sh)
  export BENCH_BASELINE_ROOT="$base"
fi
node tests/e2e/bench-state.mjs
