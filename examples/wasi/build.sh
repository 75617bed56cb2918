#!/usr/bin/env bash
# Rebuilds the WASI preview-1 example guests (C, wasi-libc) committed next to their
# sources; the tests use the committed .wasm, so nothing here runs in CI.
#   apt-get install clang-19 lld-19 wasi-libc
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
SYSROOT=${SYSROOT:-/usr} # Debian's wasi-libc: /usr/include/wasm32-wasi, /usr/lib/wasm32-wasi
command -v "$CLANG" >/dev/null || { echo "build.sh: $CLANG not found (apt-get install clang-19 lld-19)" >&2; exit 1; }
[ -f "$SYSROOT/lib/wasm32-wasi/libc.a" ] || { echo "build.sh: wasi-libc not found under $SYSROOT (apt-get install wasi-libc)" >&2; exit 1; }
for src in hello.c basics.c files.c; do
  # -nodefaultlibs: libc only (compiler-rt's wasm32 builtins are not needed here).
  "$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -Os -std=gnu11 -Wall -Wextra -Werror \
    -nodefaultlibs -Wl,--strip-debug "$src" -lc -o "${src%.c}.wasm"
done
"$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -mexec-model=reactor -Os -std=gnu11 -Wall -Wextra \
  -Werror -nodefaultlibs -Wl,--strip-debug reactor.c -lc -o reactor.wasm
# The same commands as WASI 0.2 components, through the preview-1 command adapter of the
# `wasi-preview1-component-adapter-provider` crate (48.x, from crates.io: `cargo fetch` in
# benches/runtimes brings it) and `wasm-tools` (cargo install wasm-tools).
ADAPTER=${ADAPTER:-$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasi-preview1-component-adapter-provider-48.*/artefacts/wasi_snapshot_preview1.command.wasm 2>/dev/null | head -1)}
[ -f "$ADAPTER" ] || { echo "build.sh: the command adapter was not found; set ADAPTER=path/to/wasi_snapshot_preview1.command.wasm" >&2; exit 1; }
for m in hello basics files; do
  wasm-tools component new "$m.wasm" --adapt "wasi_snapshot_preview1=$ADAPTER" -o "$m.component.wasm"
done
# Guests that call WASI 0.2 interfaces directly (wit-bindgen C bindings of their dir's
# wit/world.wit into gen/; cargo install wit-bindgen-cli): reactors with their own
# `_start` (see sockets/sockets.c), adapted the same way.
for g in sockets hostile interfaces; do
  (cd "$g" && wit-bindgen c --world "spindle:guests/$g" ../wit --out-dir gen >/dev/null 2>&1 &&
    "$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -mexec-model=reactor -Os -std=gnu11 -Wall \
      -Wextra -Werror -Wno-unused-parameter -nodefaultlibs -Wl,--strip-debug \
      "$g.c" "gen/$g.c" "gen/${g}_component_type.o" -lc -o "$g.wasm" &&
    wasm-tools component new "$g.wasm" --adapt "wasi_snapshot_preview1=$ADAPTER" -o "$g.component.wasm" &&
    rm "$g.wasm")
done
echo "built: hello.wasm basics.wasm files.wasm reactor.wasm, hello/basics/files.component.wasm,"
echo "       sockets, hostile and interfaces/*.component.wasm"
