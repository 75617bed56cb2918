#!/usr/bin/env bash
# Builds or fetches the benchmark inputs that are not committed:
#
#   benches/work/sqlite3.wasm   SQLite's amalgamation (from the npm package better-sqlite3,
#                               which ships deps/sqlite3/sqlite3.c) with our driver
#                               guests/sqlite/main.c, clang -O2
#   benches/work/coremark.wasm  EEMBC's CoreMark 1.0 as a WASI command (clang 14, -O2), as
#                               the PyPI package wasure 0.9 ships it
#                               (wasure/benchmarks/coremark/coremark-1000.wasm), checked
#                               against its SHA-256; for benches/cli/cli.sh
#
# Idempotent: does nothing when the output is newer than its inputs. Needs npm and the
# same clang/wasi-libc as guests/build.sh. BETTER_SQLITE3_VERSION, CLANG and SYSROOT
# override the defaults.
set -euo pipefail
cd "$(dirname "$0")"

VERSION=${BETTER_SQLITE3_VERSION:-12.11.1}
CLANG=${CLANG:-clang-19}
if [ -z "${SYSROOT:-}" ]; then
  if [ -d /usr/share/wasi-sysroot ]; then SYSROOT=/usr/share/wasi-sysroot; else SYSROOT=/usr; fi
fi
WORK=work
TGZ=$WORK/better-sqlite3-$VERSION.tgz
SRC=$WORK/better-sqlite3-$VERSION-sqlite
OUT=$WORK/sqlite3.wasm
mkdir -p "$WORK"

COREMARK=$WORK/coremark.wasm
COREMARK_SHA256=cd1d70515f8a109a3ce16565ab5fa086c8034a7c5453c7f630d122d119fe78da
if [ ! -f "$COREMARK" ]; then
  echo "fetching CoreMark (wasure 0.9) from PyPI"
  pip download --quiet --no-deps --dest "$WORK" wasure==0.9
  unzip -p "$WORK/wasure-0.9-py3-none-any.whl" wasure/benchmarks/coremark/coremark-1000.wasm \
    >"$COREMARK.tmp"
  echo "$COREMARK_SHA256  $COREMARK.tmp" | sha256sum --check --quiet
  mv "$COREMARK.tmp" "$COREMARK"
  rm "$WORK/wasure-0.9-py3-none-any.whl"
fi

if [ ! -f "$TGZ" ]; then
  echo "fetching better-sqlite3@$VERSION from the npm registry"
  (cd "$WORK" && npm pack "better-sqlite3@$VERSION" --silent >/dev/null)
fi
if [ ! -f "$SRC/sqlite3.c" ]; then
  mkdir -p "$SRC"
  tar -xzf "$TGZ" -C "$SRC" --strip-components=3 package/deps/sqlite3
fi

if [ -f "$OUT" ] && [ "$OUT" -nt "$SRC/sqlite3.c" ] && [ "$OUT" -nt guests/sqlite/main.c ] &&
  [ "$OUT" -nt setup.sh ]; then
  echo "up to date: benches/$OUT ($(wc -c <"$OUT") bytes)"
  exit 0
fi

command -v "$CLANG" >/dev/null || { echo "setup.sh: $CLANG not found" >&2; exit 1; }
DEFINES=(
  -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_SHARED_CACHE
  -DSQLITE_OMIT_DEPRECATED -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0
  -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_GEOPOLY
  -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_ENABLE_STAT4
  -DSQLITE_ENABLE_COLUMN_METADATA
  # wasi-libc's emulations of what SQLite's unix VFS expects
  -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_SIGNAL
  -D_WASI_EMULATED_PROCESS_CLOCKS
)
LIBS=(-lwasi-emulated-mman -lwasi-emulated-getpid -lwasi-emulated-signal
  -lwasi-emulated-process-clocks -lm)
echo "compiling SQLite to wasm32-wasi (about a minute)"
"$CLANG" --target=wasm32-wasi "--sysroot=$SYSROOT" -O2 -w "${DEFINES[@]}" -I"$SRC" \
  -Wl,-z,stack-size=1048576 -o "$OUT.tmp" "$SRC/sqlite3.c" guests/sqlite/main.c "${LIBS[@]}"
mv "$OUT.tmp" "$OUT"
echo "made benches/$OUT ($(wc -c <"$OUT") bytes)"
