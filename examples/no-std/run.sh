#!/usr/bin/env bash
# Builds the no_std library and, where a C compiler is present, links main.c against it and
# runs guest.wasm through it. `guest.wasm` is built from `guest.wat` by
# `wasm-tools parse guest.wat -o guest.wasm` (committed, so no tool is needed here).
# Usage: examples/no-std/run.sh [cargo build flags, e.g. --release --features threaded]
set -euo pipefail
cd "$(dirname "$0")"
cargo build -q "$@"
profile=debug
for a in "$@"; do [ "$a" = --release ] && profile=release; done
lib=target/$profile/libspindle_no_std.a
echo "no_std library: $lib ($(stat -c %s "$lib") bytes)"
cc=$(command -v cc || command -v clang || command -v gcc || true)
if [ -z "$cc" ]; then
  echo "no C compiler: the library was built, not linked or run"
  exit 0
fi
"$cc" -O1 -o target/main main.c "$lib" -lm
./target/main guest.wasm
