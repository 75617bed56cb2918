#!/usr/bin/env bash
# Rebuilds the committed workload modules (*.wasm) from their C and WAT sources. Only
# needed after changing a source; the benchmarks read the committed .wasm files.
#
#   build.sh           build every module
#   build.sh --check   also build each C workload natively (host cc) and check that
#                      run(param) gives the checksum in manifest.txt (SHA-256 is also
#                      checked against the FIPS 180-4 "abc" example)
#
# C: clang-19 for bare wasm32 (no libc, no WASI, no imports at all: wasm-ld fails on any
# undefined symbol), MVP features only (-mcpu=mvp) so that every runtime can load the
# modules; bulk.wasm adds -mbulk-memory, bulk-mvp.wasm is the same source without it, and
# the simd-* workloads add -msimd128 (natively they take their scalar paths).
# WAT: the `wat2wasm` bin of ../runtimes (the `wat` crate).
# Needs clang-19 and lld-19 (Debian); CLANG overrides the compiler.
set -euo pipefail
cd "$(dirname "$0")"

CLANG=${CLANG:-clang-19}
command -v "$CLANG" >/dev/null || { echo "build.sh: $CLANG not found" >&2; exit 1; }

CFLAGS=(--target=wasm32 -mcpu=mvp -O2 -std=c11 -ffreestanding -nostdlib
        -Wall -Wextra -Werror)
LDFLAGS=(-Wl,--no-entry -Wl,--export=run -Wl,-z,stack-size=65536 -Wl,--strip-debug)

cbuild() {
  local out=$1 src=$2
  shift 2
  "$CLANG" "${CFLAGS[@]}" "$@" -o "$out" "$src" "${LDFLAGS[@]}"
  echo "built $out ($(wc -c <"$out") bytes)"
}

for w in sha256 matmul nbody quicksort vm bf indirect; do
  cbuild "$w.wasm" "$w.c"
done
cbuild bulk.wasm bulk.c -mbulk-memory
cbuild bulk-mvp.wasm bulk.c -fno-builtin
for w in simd-blur simd-dot; do
  cbuild "$w.wasm" "$w.c" -msimd128
done

WAT2WASM=(cargo run --quiet --release --manifest-path ../runtimes/Cargo.toml
          --no-default-features --bin wat2wasm --)
for w in fib loop fsm exceptions gc; do
  "${WAT2WASM[@]}" "$w.wat" "$w.wasm"
  echo "built $w.wasm ($(wc -c <"$w.wasm") bytes)"
done

if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cc -O2 -ffp-contract=off -DNATIVE_SELFTEST -o "$tmp/sha256" sha256.c native_main.c
  abc=$("$tmp/sha256" abc)
  [ "$abc" = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad ] ||
    { echo "sha256(abc) = $abc: WRONG" >&2; exit 1; }
  echo "native sha256(\"abc\") ok"
  status=0
  while read -r name file param checksum _; do
    case "$name" in ''|'#'*) continue ;; esac
    src=${file%.wasm}.c
    [ "$name" = bulk-mvp ] && src=bulk.c
    [ -f "$src" ] || continue
    cc -O2 -ffp-contract=off -o "$tmp/$name" "$src" native_main.c -lm
    got=$("$tmp/$name" "$param")
    if [ "$got" = "$checksum" ]; then
      echo "native $name($param) = $got ok"
    else
      echo "native $name($param) = $got, manifest says $checksum: MISMATCH" >&2
      status=1
    fi
  done < manifest.txt
  exit $status
fi
