#!/usr/bin/env bash
# Builds bzip2 1.0.8, unmodified, from the sources the `bzip2-sys` crate publishes on
# crates.io (fetched into cargo's registry), for WASI preview 1; and, when a native C
# compiler is there, the same sources natively, to make `expected/` (what the tests
# compare Spindle's output with).
#   apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
SYSROOT=${SYSROOT:-/usr}
SRC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/bzip2-sys-0.1.13+1.0.8/bzip2-1.0.8 2>/dev/null | head -1 || true)
if [ -z "$SRC" ]; then
  tmp=$(mktemp -d)
  printf '[package]\nname = "f"\nversion = "0.0.0"\n[dependencies]\nbzip2-sys = "=0.1.13"\n[workspace]\n' >"$tmp/Cargo.toml"
  mkdir "$tmp/src" && : >"$tmp/src/lib.rs"
  (cd "$tmp" && cargo fetch -q)
  SRC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/bzip2-sys-0.1.13+1.0.8/bzip2-1.0.8 | head -1)
fi
FILES=(blocksort.c huffman.c crctable.c randtable.c compress.c decompress.c bzlib.c bzip2.c)
# bzip2.c is C89 (implicit declarations); WASI has no signals, process clocks, fchmod or
# fchown: wasi-libc's emulations and shims.c (no-ops) stand in.
"$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -O2 -std=gnu89 -Wno-implicit-function-declaration \
  -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -Wl,--strip-debug \
  "${FILES[@]/#/$SRC/}" shims.c -lwasi-emulated-signal -lwasi-emulated-process-clocks -o bzip2.wasm
# The component: a reactor exporting `_start` and `cabi_realloc` (../component.c says
# why), adapted with the preview-1 command adapter (see ../../build.sh).
"$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -mexec-model=reactor -O2 -std=gnu89 \
  -Wno-implicit-function-declaration -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
  -Wl,--strip-debug "${FILES[@]/#/$SRC/}" shims.c ../component.c -lwasi-emulated-signal \
  -lwasi-emulated-process-clocks -o bzip2.reactor.wasm
ADAPTER=${ADAPTER:-$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasi-preview1-component-adapter-provider-48.*/artefacts/wasi_snapshot_preview1.command.wasm 2>/dev/null | head -1)}
wasm-tools component new bzip2.reactor.wasm --adapt "wasi_snapshot_preview1=$ADAPTER" -o bzip2.component.wasm
rm bzip2.reactor.wasm
echo "built: bzip2.wasm bzip2.component.wasm"
if command -v cc >/dev/null; then
  native=$(mktemp -d)
  cc -O2 -w "${FILES[@]/#/$SRC/}" -o "$native/bzip2"
  mkdir -p expected
  "$native/bzip2" -9 -c input.txt >expected/input.txt.bz2
  echo "expected/input.txt.bz2 from the native build"
fi
