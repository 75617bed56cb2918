#!/usr/bin/env bash
# Prints the size a minimal embedder (validate, instantiate, call: src/main.rs) adds to a
# std-only baseline, per feature set of the `spindle` crate, built with opt-level "z", LTO,
# one codegen unit, panic = "abort" and stripped (Cargo.toml's release profile).
# Usage: benches/size/size.sh   (from anywhere; builds in benches/size/target)
set -euo pipefail
cd "$(dirname "$0")"
build() { # features -> size in bytes
  cargo build -q --release --no-default-features ${1:+--features "$1"} >&2
  stat -c %s target/release/minimal
}
base=$(build "")
printf '| feature set | binary bytes | added over the std-only baseline (%s bytes) |\n' "$base"
printf '|---|---:|---:|\n'
# Always built in: Wasm 2.0 but SIMD, extended constants and custom page sizes. `simd`,
# `relaxed-simd`, `gc` (with custom descriptors), `exceptions`, `threads`, `tail-call`,
# `function-references`, `memory64`, `multi-memory` and `wide-arithmetic` add the rest;
# "embed,simd" is Wasm 2.0 with plain instructions only, the next row the same with the
# translator's superinstructions (the default build's speed), the next adds the 3.0
# proposals other than GC and exceptions, and wide arithmetic. The rows with "threaded" add
# the other runtime features, all of them in the last.
w3="relaxed-simd,tail-call,function-references,memory64,multi-memory,wide-arithmetic"
all="simd,gc,exceptions,threads,$w3"
for set in "embed" "embed,simd" "embed,simd,superinstructions" "embed,simd,$w3" "embed,std,simd" \
  "embed,$all" "embed,std,$all,superinstructions" \
  "embed,std,$all,superinstructions,threaded" \
  "embed,std,$all,superinstructions,threaded,component" \
  "embed,std,$all,superinstructions,threaded,component,parallel-compilation" \
  "embed,std,$all,superinstructions,threaded,component,parallel-compilation,wat"; do
  size=$(build "$set")
  printf '| %s | %s | %s (%s KB) |\n' "$set" "$size" "$((size - base))" "$(((size - base) / 1000))"
done
