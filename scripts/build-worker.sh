#!/usr/bin/env bash
# Builds the Cloudflare Worker into build/, offline: cargo (wasm32, feature `worker`, through
# scripts/cargo-wasm.sh: nightly, std rebuilt, panics that trap), wasm-bindgen, wasm-opt, and esbuild
# bundling src/worker/entry.js with wasm-bindgen's JS.
#
#   scripts/build-worker.sh            release build (what `wrangler dev` / `wrangler deploy` run)
#   scripts/build-worker.sh --dev      unoptimised build (debug profile, no wasm-opt, names kept)
#   scripts/build-worker.sh --force    rebuild even if build/ is fresh
#   scripts/build-worker.sh --names    release build that keeps the names section (for CPU profiles
#                                      with function names; about 50 KB more gzipped)
#   any other argument is passed to `cargo build`
#
# Output: build/index.js (the bundled entry point, wrangler.toml's `main`), build/index_bg.wasm;
# and, through scripts/build-console.sh, the console's static assets in console/dist.
# The size is printed at the end (raw and gzipped: what every new isolate compiles).
#
# This used to be worker-build 0.8.7, which runs the same three tools; the steps are written out
# here so that the build can (1) use its own entry module (src/worker/entry.js: a plain object
# default export instead of a WorkerEntrypoint class behind Proxies, the per-request cost measured
# in BENCHMARKS.md) and (2) drop the names section, which worker-build always keeps
# (`wasm-opt --debuginfo`): about 40% of the gzipped Worker. Readable errors in the logs come from
# the access line (route, status, error code and message), not from wasm stack traces.
#
# Tools (from scripts/setup.sh): the nightly toolchain with rust-src (scripts/cargo-wasm.sh); the wasm-bindgen CLI from `cargo install wasm-bindgen-cli` (must
# equal the wasm-bindgen version in Cargo.lock); wasm-opt from the npm package `binaryen` (132;
# Debian's binaryen 108 produces a Worker that does not load); esbuild from the npm package.
#
# Freshness: wrangler runs the [build] command twice when `wrangler dev` starts (once for the entry
# point, once when its file watcher is ready) and once per test that starts a Worker, so when
# nothing under $INPUTS changed since the last build with the same tools and options, this exits
# at once. Add to INPUTS anything new the Worker is built from.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

INPUTS=(src Cargo.toml Cargo.lock scripts/build-worker.sh scripts/cargo-wasm.sh)
OUT=build
CRATE=cxone_data_actions

profile=release
force=0
names=0
extra=()
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    --dev) profile=dev ;;
    --force) force=1 ;;
    --names) names=1 ;;
    *) extra+=("$arg") ;;
  esac
done

log() { printf '[build-worker] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v wasm-bindgen >/dev/null || die "wasm-bindgen not found; run scripts/setup.sh"
WASM_OPT=node_modules/binaryen/bin/wasm-opt
ESBUILD=node_modules/esbuild/bin/esbuild
[ -x "$WASM_OPT" ] || die "node_modules/binaryen missing; run scripts/setup.sh"
[ -x "$ESBUILD" ] || die "node_modules/esbuild missing; run scripts/setup.sh"

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

# --merge-similar-functions first (functions that differ only in constants become one, the
# constants passed as arguments: 0.8 KB of the gzipped Worker for a second of build), then -Oz,
# and an explicit feature set (worker-build's list: rustc's wasm32 defaults plus the exception
# handling wasm-bindgen's catch wrappers use) so that no encoding newer than workerd's is emitted.
# Without --debuginfo wasm-opt drops the names section; --strip-producers drops the toolchain list.
WASM_OPT_FLAGS=(--merge-similar-functions -Oz --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory
  --enable-multivalue --enable-reference-types --enable-exception-handling --strip-producers)
[ "$names" = 1 ] && WASM_OPT_FLAGS+=(--debuginfo)

# What the output depends on besides the files in INPUTS.
wb_version=$(wasm-bindgen --version | awk '{print $NF}')
lock_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock 2>/dev/null || true)
if [ -n "$lock_version" ] && [ "$lock_version" != "$wb_version" ]; then
  die "wasm-bindgen CLI is $wb_version but Cargo.lock has wasm-bindgen $lock_version; run scripts/setup.sh"
fi
stamp_file="$OUT/.build-worker.stamp"
stamp="profile=$profile opt=z wasm-opt-flags=${WASM_OPT_FLAGS[*]} extra=${extra[*]:-} rustc=$(bash scripts/cargo-wasm.sh --toolchain | awk '{print $2, $3, $4}') wasm-bindgen=$wb_version wasm-opt=$(node -p 'require("./node_modules/binaryen/package.json").version') esbuild=$(node -p 'require("./node_modules/esbuild/package.json").version')"

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
stage="$OUT/.stage"
rm -rf "$stage" && mkdir -p "$stage"
# No progress bar (nor backtrace, cargo-wasm.sh): wrangler logs stay readable. opt-level "z", the
# same as the npm package's build, so both reuse one set of release artifacts; smaller code also
# starts faster in an isolate.
cargo_profile=(--release); target_dir=release
[ "$profile" = dev ] && { cargo_profile=(); target_dir=debug; }
CARGO_TERM_PROGRESS_WHEN=never bash scripts/cargo-wasm.sh --lib --features worker "${cargo_profile[@]}" "${extra[@]}"
# --experimental-reset-state-function: __wbg_reset_state, which entry.js calls after a trap;
# --force-enable-abort-handler: marks the instance critical on an abort (as worker-build does).
wasm-bindgen "target/wasm32-unknown-unknown/$target_dir/$CRATE.wasm" --out-dir "$stage" --out-name index \
  --target module --no-typescript --experimental-reset-state-function --force-enable-abort-handler
if [ "$profile" = release ]; then
  "$WASM_OPT" "$stage/index_bg.wasm" "${WASM_OPT_FLAGS[@]}" -o "$stage/index_bg.opt.wasm"
  mv "$stage/index_bg.opt.wasm" "$stage/index_bg.wasm"
fi
cp src/worker/entry.js "$stage/entry.js"
minify=(--minify); [ "$profile" = dev ] && minify=()
"$ESBUILD" "$stage/entry.js" --bundle --format=esm "${minify[@]}" --external:./index_bg.wasm --external:cloudflare:* \
  --log-level=warning --outfile="$stage/bundle.js"
# wasm-bindgen's module target imports the wasm as `import source` (the source phase proposal);
# workerd and wrangler take a plain default import of a .wasm module.
sed 's/import source /import /' "$stage/bundle.js" >"$stage/index.js.new"
grep -q 'index_bg.wasm' "$stage/index.js.new" || die "the bundle does not import index_bg.wasm"
mv "$stage/index_bg.wasm" "$OUT/index_bg.wasm"
mv "$stage/index.js.new" "$OUT/index.js"
rm -rf "$stage" "$OUT/worker" "$OUT/package.json"
mv "$stamp_file.new" "$stamp_file"
log "built in $(( $(date +%s) - started ))s"
print_sizes
