#!/usr/bin/env bash
# The figures of BENCHMARKS.md "Input validation: JSON Schema crate choice": for each candidate
# validator (benches/schema_choice), the wasm32-unknown-unknown cdylib of one `check` export with
# the package's release settings (opt-level z, fat LTO, one codegen unit, panic=abort) through
# wasm-bindgen as the package is, then wasm-opt -Oz and gzip -9, against the same export without a validator; the wasm is run once in
# Node (it must build AND work); then the native timing on the lookup-customer inputs (opt-level 3,
# thin LTO: the project's bench profile).
#   scripts/bench-schema-choice.sh [candidate...]   (default: baseline handrolled jsonschema boon regex-lite)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/benches/schema_choice"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/schema-choice"
opt="$root/node_modules/.bin/wasm-opt"
bindgen="$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")"
[ -x "$opt" ] || { echo "bench-schema-choice: $opt missing (npm ci at the repository root)" >&2; exit 1; }
candidates=("$@")
[ ${#candidates[@]} -gt 0 ] || candidates=(baseline handrolled jsonschema boon regex-lite)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

features_of() { case "$1" in baseline) echo "" ;; *) echo "${1//+/,}" ;; esac; }

printf '%-24s %10s %10s %10s %s\n' candidate raw-bytes opt-bytes gzip-9 "wasm run (problems: valid, 4-problem input)"
for candidate in "${candidates[@]}"; do
  features="$(features_of "$candidate")"
  rustflags=""
  case "$candidate" in *boon*) rustflags='--cfg getrandom_backend="wasm_js"' ;; esac
  if ! (cd "$bench" && CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$rustflags" \
        cargo build --quiet --release --target wasm32-unknown-unknown --lib ${features:+--features "$features"}) 2>"$out/build.err"; then
    printf '%-24s does not build for wasm32-unknown-unknown: %s\n' "$candidate" "$(grep -m1 '^error' "$out/build.err")"
    continue
  fi
  "$bindgen" --target nodejs --no-typescript --out-dir "$out/$candidate" --out-name choice \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/schema_choice.wasm"
  wasm="$out/$candidate/choice_bg.wasm"
  "$opt" -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue "$wasm" -o "$out/$candidate.wasm"
  raw=$(wc -c <"$wasm")
  cp "$out/$candidate.wasm" "$wasm"
  run="$(node -e '
    const { check } = require(process.argv[1]);
    const schema = {type: "object", properties: {customerId: {type: "string", minLength: 1, maxLength: 64},
      includeHistory: {type: "boolean"}, maxResults: {type: "integer", minimum: 1, maximum: 100}},
      required: ["customerId"], additionalProperties: false};
    const answer = (value) => check(JSON.stringify([schema, value]));
    console.log(answer({customerId: "C-1001", includeHistory: true, maxResults: 10}) + ", " +
      answer({includeHistory: "maybe", maxResults: 1000, extra: 1}));
  ' "$out/$candidate/choice.js" 2>&1 | tail -1 || true)"
  printf '%-24s %10d %10d %10d %s\n' "$candidate" "$raw" "$(wc -c <"$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" "$run"
done

echo
for candidate in "${candidates[@]}"; do
  [ "$candidate" = baseline ] && continue
  features="$(features_of "$candidate")"
  (cd "$bench" && CANDIDATE="$candidate" CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_LTO=thin cargo run --quiet --release --bin schema-speed ${features:+--features "$features"})
done
