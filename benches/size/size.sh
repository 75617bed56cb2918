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
for set in "embed" "embed,std" "embed,std,threaded" "embed,std,threaded,component" "embed,std,threaded,component,wat"; do
  size=$(build "$set")
  printf '| %s | %s | %s (%s KB) |\n' "$set" "$size" "$((size - base))" "$(((size - base) / 1000))"
done
