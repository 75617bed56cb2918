#!/usr/bin/env bash
# Execution of two real programs through the command-line tools, Spindle's against wasmi's
# (`cargo install wasmi_cli`), eager translation on both, alternating runtimes round by
# round: CoreMark (its own score, iterations per second, over its self-calibrated run of
# more than ten seconds) and the SQLite shell (examples/wasi/programs/sqlite) running a
# script of 100,000 inserts in one transaction, an index, a group-by and three queries into
# `:memory:` (wall-clock seconds, load included). The two runtimes' outputs must match.
# Prints each round, then the medians and the time relative to wasmi (below 1.00 is faster).
#
# Usage: benches/cli/cli.sh [ROUNDS]    (default 3; needs benches/setup.sh's CoreMark)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
coremark=benches/work/coremark.wasm
sqlite=examples/wasi/programs/sqlite/sqlite3.wasm
[ -f "$coremark" ] || { echo "cli.sh: $coremark is missing: run benches/setup.sh" >&2; exit 1; }
command -v wasmi >/dev/null || { echo "cli.sh: wasmi's CLI is missing (cargo install wasmi_cli)" >&2; exit 1; }
cargo build --release -q -p spindle-cli
spindle=target/release/spindle
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "pragma temp_store = memory;"
  benches/sqlite_script.sh 100000
  echo "select b, count(*) from t group by b order by count(*) desc, b limit 3;"
  echo "select sum(length(b)) from t where a in (select a from t where a % 7 = 1);"
} >"$work/script.sql"

run() { # runtime file [stdin] -> stdout in $work/out.$1, wall seconds on stdout
  local rt=$1 file=$2 input=${3:-/dev/null} t0 t1
  t0=$(date +%s.%N)
  case $rt in
    spindle) "$spindle" run --translation eager "$file" <"$input" >"$work/out.$rt" 2>/dev/null ;;
    wasmi) wasmi run --compilation-mode eager "$file" <"$input" >"$work/out.$rt" 2>/dev/null ;;
  esac
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
score() { sed -n 's/^Iterations\/Sec *: *//p' "$work/out.$1"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

for ((r = 1; r <= rounds; r++)); do
  for rt in spindle wasmi; do
    run "$rt" "$coremark" >/dev/null
    grep -q "Correct operation validated" "$work/out.$rt" ||
      { echo "cli.sh: CoreMark on $rt did not validate" >&2; exit 1; }
    s=$(score "$rt")
    echo "$s" >>"$work/coremark.$rt"
    echo "[round $r/$rounds] coremark $rt: $s iterations/s" >&2
  done
  for rt in spindle wasmi; do
    t=$(run "$rt" "$sqlite" "$work/script.sql")
    echo "$t" >>"$work/sqlite.$rt"
    echo "[round $r/$rounds] sqlite $rt: $t s" >&2
  done
  cmp -s "$work/out.spindle" "$work/out.wasmi" ||
    { echo "cli.sh: SQLite's output differs between the runtimes" >&2; exit 1; }
done

cs=$(median <"$work/coremark.spindle")
cw=$(median <"$work/coremark.wasmi")
ss=$(median <"$work/sqlite.spindle")
sw=$(median <"$work/sqlite.wasmi")
echo "| workload | Spindle | wasmi (eager) | time relative to wasmi |"
echo "|---|---:|---:|---:|"
printf '| CoreMark (iterations/s) | %.1f | %.1f | %.3f |\n' "$cs" "$cw" "$(echo "$cw / $cs" | bc -l)"
printf '| SQLite shell (s) | %.2f | %.2f | %.3f |\n' "$ss" "$sw" "$(echo "$ss / $sw" | bc -l)"
