#!/usr/bin/env bash
# The cargo build of both wasm artifacts, the Worker (scripts/build-worker.sh) and the npm package
# (pkg/scripts/build.sh): the crate for wasm32-unknown-unknown with the standard library rebuilt
# with it (nightly `-Zbuild-std`, rust-src from scripts/setup.sh), so that LTO and opt-level "z"
# reach std too, and, in release builds, panics that trap at once (`-Cpanic=immediate-abort`): no
# panic message formatting, no location strings (`-Zlocation-detail=none`); and derived `Debug`
# impls that print only the type or variant name (`-Zfmt-debug=shallow`: no message shows a
# derived Debug of a struct; unit variants print as before); std's `optimize_for_size` feature
# (its smaller sort, formatting and string code). The crate has no
# unwrap/expect outside tests; a trap in the Worker is logged and recovered by src/worker/entry.js,
# and readable errors come from the access line (route, status, error code and message).
# Measured in BENCHMARKS.md ("Worker: built size"): about 20 KB less of the gzipped Worker.
#
#   scripts/cargo-wasm.sh [--release] <cargo build arguments...>
#   scripts/cargo-wasm.sh --toolchain      prints the compiler's version (for freshness stamps)
#
# opt-level "z" for the release build (the shared profile says "s", for the native builds): both
# artifacts share one set of release artifacts (std included) in target/.
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"
TOOLCHAIN=nightly

if [ "${1:-}" = "--toolchain" ]; then
  rustc "+$TOOLCHAIN" -V
  exit 0
fi
rustup "+$TOOLCHAIN" component list --installed 2>/dev/null | grep -q '^rust-src' \
  || { echo "cargo-wasm: the $TOOLCHAIN toolchain with rust-src is required; run scripts/setup.sh" >&2; exit 1; }

flags=()
for arg in "$@"; do
  if [ "$arg" = "--release" ]; then
    flags=(-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=shallow)
  fi
done
# RUSTFLAGS apply to the wasm32 target only (with --target, build scripts and proc macros are
# built for the host without them).
RUSTFLAGS="${flags[*]}" CARGO_PROFILE_RELEASE_OPT_LEVEL=z RUST_BACKTRACE=0 \
  exec cargo "+$TOOLCHAIN" build -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size --target wasm32-unknown-unknown "$@"
