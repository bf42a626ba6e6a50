#!/usr/bin/env bash
# The npm package's whole test run, in order; exits non-zero on the first failure:
#   1. build pkg/dist from the Rust sources (pkg/scripts/build.sh)
#   2. build and start the emulator on a free port
#   3. the package's Node tests (each file starts its own emulator: knobs never leak)
#   4. the wasm-bindgen tests of the fetch transport, JS runtime and driver, in Node, against the
#      emulator of step 2 (its URL is compiled in through EMULATOR_URL)
#   5. the consumer check: npm pack, install the tarball in a temporary project, tsc --strict, run
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac

step() { printf '\n==> %s\n' "$*" >&2; }

step "build the package"
bash pkg/scripts/build.sh

step "build and start the emulator"
cargo build -p cxone-emulator
emulator_log="$(mktemp)"
"$target_dir/debug/cxone-emulator" --port 0 >"$emulator_log" 2>&1 &
emulator_pid=$!
cleanup() {
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  rm -f "$emulator_log"
}
trap cleanup EXIT
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^cxone-emulator listening on //p' "$emulator_log")"
  [ -n "$url" ] && break
  if ! kill -0 "$emulator_pid" 2>/dev/null; then
    cat "$emulator_log" >&2
    echo "test-pkg: the emulator exited" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "test-pkg: the emulator did not report its URL" >&2
  exit 1
fi
echo "emulator at $url" >&2

step "node --test pkg/test/*.test.mjs"
(cd pkg && node --test --test-concurrency=1 test/*.test.mjs)

step "wasm-bindgen tests (tests/wasm_fetch.rs) in Node"
runner="$(command -v wasm-bindgen-test-runner || true)"
if [ -z "$runner" ] && [ -x "$HOME/.cargo/bin/wasm-bindgen-test-runner" ]; then runner="$HOME/.cargo/bin/wasm-bindgen-test-runner"; fi
if [ -z "$runner" ]; then
  echo "test-pkg: wasm-bindgen-test-runner not found (cargo install wasm-bindgen-cli --version 0.2.130)" >&2
  exit 1
fi
EMULATOR_URL="$url" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$runner" \
  cargo test --target wasm32-unknown-unknown --features js --test wasm_fetch

step "consumer check (npm pack, install, tsc --strict, run)"
EMULATOR_URL="$url" bash pkg/consumer-check/run.sh

step "pkg: all passed"
