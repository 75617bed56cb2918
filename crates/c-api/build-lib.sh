#!/usr/bin/env bash
# Builds the C API and installs it under PREFIX (default: target/c-api):
#   PREFIX/lib/libspindle.so, PREFIX/lib/libspindle.a, PREFIX/include/{wasm.h,spindle.h},
#   PREFIX/lib/pkgconfig/spindle.pc
# then a C host builds with `cc host.c $(pkg-config --cflags --libs spindle)` given
# PKG_CONFIG_PATH=PREFIX/lib/pkgconfig (add --static for the static library).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
prefix="${1:-$root/target/c-api}"
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"

cargo build --release --manifest-path "$root/Cargo.toml" -p spindle-c-api
target="${CARGO_TARGET_DIR:-$root/target}/release"

mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
cp "$target/libspindle_c_api.so" "$prefix/lib/libspindle.so"
cp "$target/libspindle_c_api.a" "$prefix/lib/libspindle.a"
cp "$here/include/wasm.h" "$here/include/spindle.h" "$prefix/include/"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" "$here/spindle.pc.in" \
  > "$prefix/lib/pkgconfig/spindle.pc"
echo "installed in $prefix"
