#!/usr/bin/env bash
# Builds the npm package from the Rust sources into pkg/dist/:
#   cargo (wasm32, release, feature `js`, through scripts/cargo-wasm.sh: nightly, std rebuilt,
#   panics that trap) -> wasm-bindgen --target web -> wasm-opt (-Oz and more, below; if the root
#   node_modules has binaryen's wasm-opt).
# Respects CARGO_TARGET_DIR; uses the default target/ otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
dist="$here/dist"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
wanted_bindgen="0.2.130"

bindgen="$(command -v wasm-bindgen || true)"
if [ -z "$bindgen" ] && [ -x "$HOME/.cargo/bin/wasm-bindgen" ]; then bindgen="$HOME/.cargo/bin/wasm-bindgen"; fi
if [ -z "$bindgen" ]; then
  echo "build: wasm-bindgen $wanted_bindgen is required (cargo install wasm-bindgen-cli --version $wanted_bindgen)" >&2
  exit 1
fi
have_bindgen="$("$bindgen" --version | awk '{print $2}')"
if [ "$have_bindgen" != "$wanted_bindgen" ]; then
  echo "build: wasm-bindgen $have_bindgen found, $wanted_bindgen required (it must match the wasm-bindgen crate)" >&2
  exit 1
fi

# opt-level "z" (scripts/cargo-wasm.sh; the shared release profile says "s"): the package is
# downloaded by browsers, so size comes first.
echo "build: scripts/cargo-wasm.sh --release --no-default-features --features js --lib" >&2
(cd "$root" && bash scripts/cargo-wasm.sh --release --no-default-features --features js --lib)

rm -rf "$dist"
mkdir -p "$dist"
"$bindgen" --target web --no-typescript --out-dir "$dist" --out-name cxone_data_actions \
  "$target_dir/wasm32-unknown-unknown/release/cxone_data_actions.wasm"

wasm="$dist/cxone_data_actions_bg.wasm"
opt="$root/node_modules/.bin/wasm-opt"
if [ -x "$opt" ]; then
  before=$(wc -c <"$wasm")
  # -Oz, then the control flow flattened and re-looped and -Oz twice more: 1.4 KB less gzipped
  # than -Oz alone, no speed difference measured (BENCHMARKS.md, "npm package"). Not
  # --low-memory-unused (it would save 0.9 KB more): Rust's stack comes first and grows down into
  # the low 1 KB that the flag assumes unused.
  "$opt" -Oz --flatten --rereloop -Oz -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  echo "build: wasm-opt: $before -> $(wc -c <"$wasm") bytes" >&2
else
  echo "build: $opt not found (run npm ci at the repository root): wasm-opt skipped" >&2
fi
echo "build: $(wc -c <"$wasm") bytes of wasm in $dist" >&2
