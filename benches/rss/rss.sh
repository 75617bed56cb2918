#!/usr/bin/env bash
# Peak RSS loading and running the SQLite shell (examples/wasi/programs/sqlite) through
# Spindle's CLI, in each translation mode, and through wasmi's CLI when it is installed
# (`cargo install wasmi_cli`): 20,000 inserts in one transaction, an index and two queries
# into `:memory:`, the same script for every runtime. Prints `runtime mode: KB seconds`.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
benches/sqlite_script.sh 20000 > "$work/script.sql"
wasm=examples/wasi/programs/sqlite/sqlite3.wasm
cargo build --release -q -p spindle-cli
for mode in eager eager/one-thread lazy lazy-unchecked; do
  # `eager/one-thread`: eager with the module's bodies compiled on one thread rather than
  # every core (`--parallel-compilation off`).
  threads=on
  [ "$mode" = eager/one-thread ] && threads=off
  /usr/bin/time -f "spindle $mode: %M KB %e s" \
    target/release/spindle run --translation "${mode%/*}" --parallel-compilation "$threads" \
    "$wasm" < "$work/script.sql" > "$work/out.${mode%/*}" 2> "$work/time"
  tail -1 "$work/time"
done
if command -v wasmi > /dev/null; then
  for mode in eager lazy-translation lazy; do
    /usr/bin/time -f "wasmi $mode: %M KB %e s" \
      wasmi run --compilation-mode "$mode" "$wasm" < "$work/script.sql" > "$work/wout.$mode" 2> "$work/time"
    tail -1 "$work/time"
    cmp -s "$work/out.eager" "$work/wout.$mode" || echo "  (output differs from Spindle's)"
  done
fi
