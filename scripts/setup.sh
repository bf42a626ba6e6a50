#!/usr/bin/env bash
# Installs everything a fresh machine needs to build, run and test the project, and nothing more.
# Idempotent: every step checks first, so a second run takes seconds.
#   scripts/setup.sh          toolchain for building and running (Rust wasm target, the nightly
#                             toolchain with rust-src for the wasm builds, wasm-bindgen, npm
#                             packages: wrangler, miniflare, binaryen's wasm-opt, esbuild)
#   scripts/setup.sh --test   also what the tests need (Chromium and ChromeDriver from Debian,
#                             Schemathesis from PyPI, cargo-fuzz from crates.io, which runs on the
#                             same nightly toolchain)
#   scripts/setup.sh --bench  also what the benchmarks need (wrk from Debian)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # keep equal to the `=` pin of wasm-bindgen in Cargo.toml
CARGO_FUZZ_VERSION=0.13.2      # the fuzz targets' runner (scripts/test-fuzz.sh)
want_test=0
want_bench=0
for arg in "$@"; do
  [ "$arg" = "--test" ] && want_test=1
  [ "$arg" = "--bench" ] && want_bench=1
done

log() { printf '[setup] %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
# The wasm builds (scripts/cargo-wasm.sh) rebuild the standard library with nightly's -Zbuild-std,
# from rust-src; the fuzz targets (cargo-fuzz, libFuzzer and sanitizer flags) need nightly too.
if ! rustup toolchain list | grep -q '^nightly'; then
  log "installing the nightly toolchain (wasm builds, fuzz targets)"
  rustup toolchain install nightly --profile minimal
fi
rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src' || rustup component add rust-src --toolchain nightly

# `wasm-bindgen --version` prints "wasm-bindgen 0.2.130".
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $NF}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || { log "error: Node.js 20 or later is needed (wrangler 4.86)"; exit 1; }
# npm ci rewrites node_modules/.package-lock.json, so it is newer than package-lock.json afterwards.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ package.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Local secrets for `wrangler dev` (gitignored); demo values.
[ -f .dev.vars ] || { log "creating .dev.vars from .dev.vars.example"; cp .dev.vars.example .dev.vars; }

if [ "$want_test" = 1 ]; then
  if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $NF}')" != "$CARGO_FUZZ_VERSION" ]; then
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION (a few minutes, once)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
  fi
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Chromium and ChromeDriver (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  # Schemathesis (PyPI) for tests/e2e/schemathesis.mjs, in a venv of the project's own (Debian's
  # Python refuses system-wide pip installs).
  if ! command -v schemathesis >/dev/null && [ ! -x .venv/bin/schemathesis ]; then
    log "installing Schemathesis 4.32.5 (PyPI) into .venv"
    if ! command -v python3 >/dev/null || ! python3 -c "import ensurepip" 2>/dev/null; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq python3 python3-venv >/dev/null
    fi
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check schemathesis==4.32.5
  fi
fi
if [ "$want_bench" = 1 ] && ! command -v wrk >/dev/null; then
  log "installing wrk (Debian package, HTTP load for the benchmarks)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
fi
log "ready"
