#!/usr/bin/env bash
# Packs the package, installs the tarball in a temporary project (offline: it has no
# dependencies), type-checks index.ts with the root's TypeScript (--strict, --noEmit), then
# compiles and runs it against the emulator at $EMULATOR_URL.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(cd "$here/.." && pwd)"
root="$(cd "$pkg/.." && pwd)"
tsc="$root/node_modules/.bin/tsc"
: "${EMULATOR_URL:?EMULATOR_URL must point at a running cxone-emulator}"
if [ ! -x "$tsc" ]; then
  echo "consumer-check: $tsc not found: run npm ci at the repository root" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/tsconfig.json" "$here/index.ts" "$work/"
tarball="$(cd "$pkg" && npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "consumer-check: packed $tarball ($(wc -c <"$work/$tarball") bytes)" >&2
(cd "$work" && npm install --offline --no-audit --no-fund --ignore-scripts --loglevel=error "./$tarball" >/dev/null)
cd "$work"
"$tsc" -p tsconfig.json --strict --noEmit --typeRoots "$root/node_modules/@types"
echo "consumer-check: tsc --strict --noEmit passed" >&2
"$tsc" -p tsconfig.json --typeRoots "$root/node_modules/@types"
node out/index.js
