#!/usr/bin/env bash
# Rebuilds the test filters (C against the proxy-wasm ABI, reactors over wasi-libc for
# malloc). Needs clang-19, lld-19 and wasi-libc (Debian: apt-get install clang-19 lld-19
# wasi-libc); the built .wasm files are committed, so tests never need them.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
SYSROOT=${WASI_SYSROOT:-/usr}
command -v "$CLANG" >/dev/null || { echo "build.sh: $CLANG not found" >&2; exit 1; }
for f in rewrite auth; do
  "$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -mexec-model=reactor -O2 -std=gnu11 \
    -Wall -Wextra -Werror -Wl,--strip-all -o "$f.wasm" "$f.c"
done
ls -l ./*.wasm
