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
echo "built: hello.wasm basics.wasm files.wasm reactor.wasm"
