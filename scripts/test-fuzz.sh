#!/usr/bin/env bash
# Smoke run of every fuzz target (cargo-fuzz on the nightly toolchain, fuzz/): builds them, then
# runs each for FUZZ_SECONDS (default 10) from the committed seeds (fuzz/seeds/<target>) with the
# contract's dictionary (fuzz/dict/contract.dict). Fails at the first crash, panic or broken
# property: libFuzzer exits non-zero and leaves the input in fuzz/artifacts/<target>/ (replay it
# with `cargo +nightly fuzz run <target> <file>`). The long runs and their figures: BENCHMARKS.md.
#   scripts/test-fuzz.sh                     every target
#   scripts/test-fuzz.sh callbacks           only the named ones
#   FUZZ_SECONDS=60 scripts/test-fuzz.sh     longer
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${FUZZ_SECONDS:-10}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi
cargo +nightly fuzz build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
  corpus="$work/$target"
  mkdir -p "$corpus" "fuzz/seeds/$target"
  log="$work/$target.log"
  # The corpus the run grows is a temporary one: the committed seeds are only read.
  if ! cargo +nightly fuzz run "$target" "$corpus" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -timeout=10 -dict="$PWD/fuzz/dict/contract.dict" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target FAILED (the input that broke it is in fuzz/artifacts/$target/)"
    exit 1
  fi
  echo "fuzz: $target: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)"
done
echo "fuzz: ${#targets[@]} targets run for ${seconds} s each, no crash"
