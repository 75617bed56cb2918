#!/usr/bin/env bash
# Rebuilds the socket guest (committed as sockets.c, gen/ and sockets.component.wasm; the
# tests use the committed component, so nothing here runs in CI):
#   apt-get install clang-19 lld-19 wasi-libc; cargo install wasm-tools wit-bindgen-cli
# gen/ is wit-bindgen's C for wit/world.wit (the WASI 0.2.12 WIT in wit/deps), and the
# component is the module adapted with the preview-1 command adapter (see ../build.sh).
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
SYSROOT=${SYSROOT:-/usr}
ADAPTER=${ADAPTER:-$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasi-preview1-component-adapter-provider-48.*/artefacts/wasi_snapshot_preview1.command.wasm 2>/dev/null | head -1)}
[ -f "$ADAPTER" ] || { echo "build.sh: the command adapter was not found; set ADAPTER=..." >&2; exit 1; }
wit-bindgen c --world spindle:guests/sockets wit --out-dir gen
"$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -mexec-model=reactor -Os -std=gnu11 -Wall -Wextra -Werror \
  -Wno-unused-parameter -nodefaultlibs -Wl,--strip-debug \
  sockets.c gen/sockets.c gen/sockets_component_type.o -lc -o sockets.wasm
wasm-tools component new sockets.wasm --adapt "wasi_snapshot_preview1=$ADAPTER" -o sockets.component.wasm
rm sockets.wasm
echo "built: sockets.component.wasm"
