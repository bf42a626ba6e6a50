#!/usr/bin/env bash
# Every benchmark, printing the figures that BENCHMARKS.md records (ratios are measured within one
# run). Not part of the test command: figures are read, not asserted.
#   scripts/bench.sh [core|wasm|schema|emulator|pkg|poll|worker|state|cold|peer|peer-line ...]   (state: see scripts/bench-state.sh)
# cold: the Worker's size and its cold start against the hand-written JS peer; peer: throughput and
# p50 against the peer (../shared/bench/worker-vs-js-peer.sh 3 5, needs the release emulator);
# peer-line: the same against the peer and against a copy of it that writes one access line like
# the Worker's, with each wrangler process's CPU per request (scripts/bench-peer.sh 3 5).
# A CPU profile of the Worker's isolate: node tests/e2e/profile-worker.mjs (after build-worker.sh --names).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
bash scripts/setup.sh --bench
wanted=" $* "
want() { [ "$wanted" = "  " ] || [[ "$wanted" == *" $1 "* ]]; }

if want core; then
  echo "== core, native (criterion)"
  cargo bench --bench core_sync_invoke -- --warm-up-time 1 --measurement-time 3 2>&1 | grep -E "time:|native:"
fi
if want wasm; then
  echo "== core, wasm in Node"
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --profile bench --target wasm32-unknown-unknown --test wasm_core_bench -- --nocapture 2>&1 | grep -E "wasm in Node"
fi
if want schema; then
  echo "== input validation: JSON Schema candidates, wasm size and native speed"
  bash scripts/bench-schema-choice.sh
fi
if want emulator; then
  echo "== emulator throughput"
  cargo bench -p cxone-emulator 2>&1 | grep -E "throughput"
fi
if want pkg; then
  echo "== npm package: sizes, and time per warm sync invoke against plain fetch"
  (cd pkg && npm run build --silent && npm run bench --silent)
fi
if want poll; then
  echo "== polling: lag after the end of 0.5 s and 2 s jobs, status requests of a 60 s job (direct mode, npm package)"
  (cd pkg && npm run build --silent && npm run bench:poll --silent)
fi
if want worker; then
  echo "== Worker: build size, latency and throughput against the emulator, upstream requests per invoke"
  bash scripts/build-worker.sh --force 2>&1 | grep -E "worker size" || true
  node tests/e2e/bench-worker.mjs
fi
if want state; then
  echo "== Worker state: upstream, object and KV operations per invocation"
  bash scripts/bench-state.sh
fi
if want cold; then
  echo "== Worker: size, and cold start (new runtime and isolate to first answer) against the JS peer"
  bash scripts/build-worker.sh 2>&1 | grep -E "worker size" || true
  cargo build --release -p cxone-emulator --quiet
  CXONE_EMULATOR_BIN="$PWD/target/release/cxone-emulator" node tests/e2e/bench-cold-start.mjs
fi
if want peer; then
  echo "== Worker against the JS peer: sync invoke throughput and p50, median of 3 rounds of 5 s"
  bash scripts/build-worker.sh 2>&1 | grep -E "worker size" || true
  cargo build --release -p cxone-emulator --quiet
  bash ../shared/bench/worker-vs-js-peer.sh 3 5
fi
if want peer-line; then
  echo "== Worker against the JS peer and the peer with one access line: req/s, p50, CPU per request of each process"
  bash scripts/build-worker.sh 2>&1 | grep -E "worker size" || true
  cargo build --release -p cxone-emulator --quiet
  bash scripts/bench-peer.sh 3 5
fi
