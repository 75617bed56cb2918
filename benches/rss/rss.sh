#!/usr/bin/env bash
# Peak RSS loading and running the SQLite shell (examples/wasi/programs/sqlite) through
# Spindle's CLI, in each translation mode, and through wasmi's CLI when it is installed
# (`cargo install wasmi_cli`): 20,000 inserts in one transaction, an index and two queries
# into `:memory:`, the same script for every runtime. Each round runs every runtime and
# mode once, alternating; prints each one's samples (KB) and their median.
# Usage: benches/rss/rss.sh [ROUNDS]   (default 5)
#
# Both CLIs run from fresh copies in one temporary folder. A binary's resident code pages
# depend on how its file sits in the page cache: on this project's VMs (Linux 6.18), a
# binary just written (as `cargo build` leaves Spindle's) maps its code in larger pieces
# than one read back from disk (as an old `cargo install` leaves wasmi's), and ran about
# 260 KB higher. Copies written the same way put both in the same state.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
work=$(mktemp -d -p "$PWD/target")
trap 'rm -rf "$work"' EXIT
benches/sqlite_script.sh 20000 > "$work/script.sql"
wasm=examples/wasi/programs/sqlite/sqlite3.wasm
cargo build --release -q -p spindle-cli
cp target/release/spindle "$work/spindle"
runs=("spindle eager" "spindle eager/one-thread" "spindle lazy" "spindle lazy-unchecked")
if command -v wasmi > /dev/null; then
  cp "$(command -v wasmi)" "$work/wasmi"
  runs+=("wasmi eager" "wasmi lazy-translation" "wasmi lazy")
fi
sync
for _ in $(seq "$rounds"); do
  for run in "${runs[@]}"; do
    read -r runtime mode <<< "$run"
    if [ "$runtime" = spindle ]; then
      # `eager/one-thread`: eager with the module's bodies compiled on one thread rather
      # than every core (`--parallel-compilation off`).
      threads=on
      [ "$mode" = eager/one-thread ] && threads=off
      cmd=("$work/spindle" run --translation "${mode%/*}" --parallel-compilation "$threads" "$wasm")
    else
      cmd=("$work/wasmi" run --compilation-mode "$mode" "$wasm")
    fi
    /usr/bin/time -f "%M" "${cmd[@]}" < "$work/script.sql" > "$work/out" 2> "$work/time"
    echo "$runtime $mode $(tail -1 "$work/time")" >> "$work/samples"
    if [ "$runtime" = spindle ] && [ "$mode" = eager ]; then
      cp "$work/out" "$work/out.spindle"
    elif ! cmp -s "$work/out.spindle" "$work/out"; then
      echo "$runtime $mode: output differs from Spindle's eager run" >&2
    fi
  done
done
for run in "${runs[@]}"; do
  samples=$(grep "^$run " "$work/samples" | awk '{print $3}' | sort -n | tr '\n' ' ')
  median=$(echo "$samples" | tr ' ' '\n' | grep . | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')
  echo "$run: median $median KB (samples: ${samples% })"
done
