#!/usr/bin/env bash
# Builds the Cloudflare Worker into build/ with worker-build, offline.
#
#   scripts/build-worker.sh            release build (what `wrangler dev` / `wrangler deploy` run)
#   scripts/build-worker.sh --dev      unoptimised build with debug JS glue (no wasm-opt)
#   scripts/build-worker.sh --force    rebuild even if build/ is fresh
#   any other argument is passed to worker-build, after the `--features worker` cargo options
#
# Output (worker-build 0.8.7): build/index.js (the bundled entry point, wrangler.toml's `main`),
# build/index_bg.wasm, build/worker/shim.mjs (a re-export kept for old configs), build/package.json;
# and, through scripts/build-console.sh, the console's static assets in console/dist.
#
# Offline: worker-build would download wasm-bindgen, wasm-opt (binaryen) and esbuild from GitHub
# and the npm registry into ~/.cache/worker-build. Each `<NAME>_BIN` variable below overrides one
# download (worker-build's binary.rs: `which(<NAME>_BIN)`, else cache, else download):
#   WASM_BINDGEN_BIN  the wasm-bindgen CLI from `cargo install wasm-bindgen-cli` (must equal the
#                     wasm-bindgen version in Cargo.lock)
#   WASM_OPT_BIN      binaryen's wasm-opt from the npm package `binaryen` (132, what worker-build
#                     0.8.7 pins; Debian's binaryen 108 produces a Worker that does not load)
#   ESBUILD_BIN       esbuild from the npm package `esbuild` (0.28.2, what worker-build pins)
# Tools come from scripts/setup.sh.
#
# Freshness: wrangler runs the [build] command twice when `wrangler dev` starts (once for the entry
# point, once when its file watcher is ready) and once per test that starts a Worker, so when
# nothing under $INPUTS changed since the last build with the same tools and options, this exits
# at once. Add to INPUTS anything new the Worker is built from.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

INPUTS=(src Cargo.toml Cargo.lock scripts/build-worker.sh)
OUT=build

profile=--release
force=0
extra=()
for arg in "$@"; do
  case "$arg" in
    --release) profile=--release ;;
    --dev) profile=--dev ;;
    --force) force=1 ;;
    *) extra+=("$arg") ;;
  esac
done

log() { printf '[build-worker] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v worker-build >/dev/null || die "worker-build not found; run scripts/setup.sh"
command -v wasm-bindgen >/dev/null || die "wasm-bindgen not found; run scripts/setup.sh"
[ -x node_modules/binaryen/bin/wasm-opt ] || die "node_modules/binaryen missing; run scripts/setup.sh"
[ -x node_modules/esbuild/bin/esbuild ] || die "node_modules/esbuild missing; run scripts/setup.sh"

export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$PWD/node_modules/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/esbuild/bin/esbuild"

print_sizes() {
  local wasm="$OUT/index_bg.wasm" js="$OUT/index.js"
  local wasm_raw wasm_gz js_raw js_gz
  wasm_raw=$(wc -c <"$wasm")
  wasm_gz=$(gzip -9c "$wasm" | wc -c)
  js_raw=$(wc -c <"$js")
  js_gz=$(gzip -9c "$js" | wc -c)
  # Cloudflare's limit is on the gzipped upload: 3 MiB (Free) or 10 MiB (Paid).
  echo "worker size: $wasm $wasm_raw bytes raw, $wasm_gz bytes gzipped; bundle total ($js + wasm) $((wasm_raw + js_raw)) bytes raw, $((wasm_gz + js_gz)) bytes gzipped"
}

# One build at a time (parallel `wrangler dev`s in the tests share build/).
mkdir -p "$OUT"
exec 9>"$OUT/.build-worker.lock"
flock 9

# The console's static assets (wrangler.toml [assets]) go out with the Worker; the script returns
# at once when they are fresh.
bash scripts/build-console.sh

# What the output depends on besides the files in INPUTS.
wb_version=$(wasm-bindgen --version | awk '{print $NF}')
lock_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock 2>/dev/null || true)
if [ -n "$lock_version" ] && [ "$lock_version" != "$wb_version" ]; then
  die "wasm-bindgen CLI is $wb_version but Cargo.lock has wasm-bindgen $lock_version; run scripts/setup.sh"
fi
stamp_file="$OUT/.build-worker.stamp"
stamp="profile=$profile opt=z wasm-opt-flags=Oz extra=${extra[*]:-} rustc=$(rustc -V | awk '{print $2}') worker-build=$(worker-build --version) wasm-bindgen=$wb_version wasm-opt=$(node -p 'require("./node_modules/binaryen/package.json").version') esbuild=$(node -p 'require("./node_modules/esbuild/package.json").version')"

if [ "$force" = 0 ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] \
   && [ -f "$OUT/index.js" ] && [ -f "$OUT/index_bg.wasm" ] \
   && [ -z "$(find "${INPUTS[@]}" -newer "$stamp_file" -print -quit 2>/dev/null)" ]; then
  log "build/ is fresh, skipping (--force to rebuild)"
  print_sizes
  exit 0
fi

rm -f "$stamp_file"
# Written now, moved into place after success: its mtime is the build's start, so a source edited
# during the build makes the next run rebuild.
printf '%s' "$stamp" >"$stamp_file.new"
started=$(date +%s)
# worker-build takes cargo options after its own; `--features worker` lands in `cargo build`.
# No progress bar nor anyhow backtrace (RUST_BACKTRACE=1 is often set): wrangler logs stay readable.
# opt-level "z" for the release build (the shared profile says "s"): the same as the npm package's
# build, so both reuse one set of release artifacts; smaller code also starts faster in an isolate.
RUST_BACKTRACE=0 CARGO_TERM_PROGRESS_WHEN=never CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
  worker-build "$profile" --features worker "${extra[@]}"
[ -f "$OUT/index.js" ] && [ -f "$OUT/index_bg.wasm" ] || die "worker-build did not produce $OUT/index.js and $OUT/index_bg.wasm"
mv "$stamp_file.new" "$stamp_file"
log "built in $(( $(date +%s) - started ))s"
print_sizes
