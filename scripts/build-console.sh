#!/usr/bin/env bash
# Builds the admin console into console/dist/ (Workers Static Assets, wrangler.toml [assets]):
#   console/dist/admin/index.html, console.css      the page (no inline script or style)
#   console/dist/admin/assets/console.js            console/src/*.js and the npm package (pkg/,
#                                                   proxy mode) bundled and minified by esbuild
#   console/dist/admin/dist/cxone_data_actions_bg.wasm   the package's wasm, where its browser
#                                                   entry looks for it (../dist/ from the bundle)
#   console/dist/_headers                           the Content-Security-Policy and other headers
#   console/dist/openapi.json                       src/worker/openapi.json, which the Worker serves
#                                                   at /openapi.json through its ASSETS binding
# Builds the package first (pkg/scripts/build.sh) when pkg/dist is missing or older than the Rust
# sources it is built from. Prints the size of every file, raw and gzipped.
#   scripts/build-console.sh           build when something changed (exits at once otherwise)
#   scripts/build-console.sh --force   build anyway
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[build-console] %s\n' "$*" >&2; }
force=0
for arg in "$@"; do [ "$arg" = "--force" ] && force=1; done

wasm=pkg/dist/cxone_data_actions_bg.wasm
pkg_inputs=(src/core src/js src/transport src/driver.rs src/lib.rs Cargo.toml Cargo.lock pkg/scripts/build.sh scripts/cargo-wasm.sh)
if [ ! -f "$wasm" ] || [ -n "$(find "${pkg_inputs[@]}" -newer "$wasm" -print -quit 2>/dev/null)" ]; then
  log "building the npm package (pkg/dist)"
  bash pkg/scripts/build.sh
fi

out=console/dist
stamp="$out/.build-console.stamp"
inputs=(console/src pkg/src pkg/dist src/worker/openapi.json scripts/build-console.sh)
if [ "$force" = 0 ] && [ -f "$stamp" ] && [ -z "$(find "${inputs[@]}" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  log "console/dist is fresh, skipping (--force to rebuild)"
  exit 0
fi

rm -rf "$out"
mkdir -p "$out/admin/assets" "$out/admin/dist"
touch "$stamp.new"
node_modules/.bin/esbuild console/src/main.js --bundle --minify --format=esm --target=es2022 \
  --alias:cxone-data-actions=./pkg/src/browser.js --legal-comments=none --log-level=warning \
  --outfile="$out/admin/assets/console.js"
cp "$wasm" "$out/admin/dist/"
cp console/src/index.html console/src/console.css "$out/admin/"
cp console/src/_headers "$out/_headers"
cp src/worker/openapi.json "$out/openapi.json"
mv "$stamp.new" "$stamp"

total_raw=0
total_gz=0
while IFS= read -r file; do
  raw=$(wc -c <"$file")
  gz=$(gzip -9c "$file" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '[build-console] %-52s %8d bytes raw %8d gzipped\n' "${file#"$out"/}" "$raw" "$gz" >&2
done < <(find "$out/admin" -type f | sort)
echo "console size: $total_raw bytes raw, $total_gz bytes gzipped (console/dist/admin, what a browser downloads)"
