#!/usr/bin/env bash
# Builds the SQLite shell (shell.c and sqlite3.c, unmodified, from the sources the
# `sqlite3-src` crate publishes on crates.io), for WASI preview 1 and, adapted, as a WASI
# 0.2 component; and, when a native C compiler is there, the same sources natively, to
# make `expected/` (what the tests compare Spindle's output with).
#   apt-get install clang-19 lld-19 wasi-libc; cargo install wasm-tools
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
SYSROOT=${SYSROOT:-/usr}
VERSION=0.6.1
SRC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/sqlite3-src-$VERSION/source 2>/dev/null | head -1 || true)
if [ -z "$SRC" ]; then
  tmp=$(mktemp -d)
  printf '[package]\nname = "f"\nversion = "0.0.0"\n[dependencies]\nsqlite3-src = "=%s"\n[workspace]\n' "$VERSION" >"$tmp/Cargo.toml"
  mkdir "$tmp/src" && : >"$tmp/src/lib.rs"
  (cd "$tmp" && cargo fetch -q)
  SRC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/sqlite3-src-$VERSION/source | head -1)
fi
# One thread, no loadable extensions (no dlopen), no WAL (no shared memory); WASI has no
# signals, process clocks, getpid or mmap: wasi-libc's emulations, and shims.c for chmod
# and system.
DEFS=(-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL)
WASI=(-w -include shims.h "${DEFS[@]}" -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS
  -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_MMAN -I"$SRC" -Wl,--strip-debug)
LIBS=(-lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid -lwasi-emulated-mman)
"$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -Os "${WASI[@]}" "$SRC/shell.c" "$SRC/sqlite3.c" \
  shims.c "${LIBS[@]}" -o sqlite3.wasm
# The component: a reactor exporting `_start` and `cabi_realloc` (../component.c says why),
# adapted with the preview-1 command adapter (see ../../build.sh).
"$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -mexec-model=reactor -Os "${WASI[@]}" \
  "$SRC/shell.c" "$SRC/sqlite3.c" shims.c ../component.c "${LIBS[@]}" -o sqlite3.reactor.wasm
ADAPTER=${ADAPTER:-$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasi-preview1-component-adapter-provider-48.*/artefacts/wasi_snapshot_preview1.command.wasm 2>/dev/null | head -1)}
wasm-tools component new sqlite3.reactor.wasm --adapt "wasi_snapshot_preview1=$ADAPTER" -o sqlite3.component.wasm
rm sqlite3.reactor.wasm
echo "built: sqlite3.wasm sqlite3.component.wasm"
if command -v cc >/dev/null; then
  native=$(mktemp -d)
  cc -O2 -w "${DEFS[@]}" -I"$SRC" "$SRC/shell.c" "$SRC/sqlite3.c" -lm -o "$native/sqlite3"
  mkdir -p expected
  # The same two runs the test makes, in a scratch directory standing for /w.
  work=$(mktemp -d)
  cp people.csv "$work/"
  (cd "$work" && sed 's#/w/#./#' "$OLDPWD/create.sql" | "$native/sqlite3" -batch test.db) >expected/create.out
  (cd "$work" && sed 's#/w/#./#' "$OLDPWD/query.sql" | "$native/sqlite3" -batch test.db) >expected/query.out
  cp "$work/report.txt" expected/report.txt
  echo "expected/ from the native build"
fi
