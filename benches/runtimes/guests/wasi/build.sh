#!/usr/bin/env bash
# Rebuilds the WASI benchmark guests (C, wasi-libc); the harness uses the committed .wasm.
#   apt-get install clang-19 lld-19 wasi-libc
set -euo pipefail
cd "$(dirname "$0")"
for src in lines.c readfile.c openstat.c; do
  clang-19 --target=wasm32-wasi --sysroot="${SYSROOT:-/usr}" -O2 -std=gnu11 -Wall -Werror \
    -nodefaultlibs -Wl,--strip-debug "$src" -lc -o "${src%.c}.wasm"
done
echo "built: lines.wasm readfile.wasm openstat.wasm"
