#!/usr/bin/env bash
# Rebuilds the committed guest modules from their sources. Only needed after changing a
# guest; the benchmarks use the committed .wasm files.
#
#   bigprog.wasm       bigprog/*.c, clang -O2, the compiler's default wasm32 features
#   bigprog-simd.wasm  the same sources with SIMD, bulk memory, non-trapping float-to-int,
#                      tail calls and extended constant expressions enabled
#
# Needs clang and wasm-ld (Debian: clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32).
# CLANG and SYSROOT override the defaults.
set -euo pipefail
cd "$(dirname "$0")"

CLANG=${CLANG:-clang-19}
if [ -z "${SYSROOT:-}" ]; then
  if [ -d /usr/share/wasi-sysroot ]; then
    SYSROOT=/usr/share/wasi-sysroot # upstream wasi-sdk / some distributions
  else
    SYSROOT=/usr # Debian: /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi
  fi
fi
command -v "$CLANG" >/dev/null || { echo "build.sh: $CLANG not found" >&2; exit 1; }

CFLAGS=(--target=wasm32-wasi "--sysroot=$SYSROOT" -O2 -std=c11 -Wall -Wextra -Werror)
# Deep recursion in the regex backtracker and the script compiler: 1 MiB of stack.
LDFLAGS=(-Wl,-z,stack-size=1048576 -lm)
WASM3_FEATURES=(-msimd128 -mbulk-memory -mnontrapping-fptoint -mtail-call -mextended-const)

build() {
  local out=$1
  shift
  # Relative source names keep __FILE__ strings (and so the bytes) independent of where
  # the repository is checked out.
  (cd bigprog && "$CLANG" "${CFLAGS[@]}" "$@" -o "../$out" ./*.c "${LDFLAGS[@]}")
  echo "built guests/$out ($(wc -c <"$out") bytes)"
}

build bigprog.wasm
build bigprog-simd.wasm "${WASM3_FEATURES[@]}"
