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
# The same programs as WASI 0.2 components (the preview-1 command adapter of
# `wasi-preview1-component-adapter-provider` 48, and wasm-tools).
ADAPTER=${ADAPTER:-$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasi-preview1-component-adapter-provider-48.*/artefacts/wasi_snapshot_preview1.command.wasm | head -1)}
for g in lines readfile openstat; do
  wasm-tools component new "$g.wasm" --adapt "wasi_snapshot_preview1=$ADAPTER" -o "$g.component.wasm"
done
