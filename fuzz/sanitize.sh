#!/usr/bin/env bash
# The interpreter under a memory checker: the exec and embedding crates' tests, then each
# fuzz target for a while (seconds per target: $1, default 120) from its corpus.
#
# With a nightly toolchain (`rustup toolchain list`): AddressSanitizer, through
# `-Zsanitizer=address` for the tests and `cargo +nightly fuzz run -s address` for the
# targets. Without one: the tests' binaries under valgrind (memcheck), and the targets
# built without a sanitizer run under valgrind over their corpora.
#
# Everything builds in target directories of its own (target/asan, fuzz/target), so the
# main build is untouched. Exit status: non-zero on the first finding.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
host=$(rustc -vV | sed -n 's/^host: //p')
targets=(exec_smith exec_diff validate_raw validate_smith component_exec component_validate)

if rustup toolchain list | grep -q '^nightly'; then
  echo "== tests of spindle-exec and spindle under AddressSanitizer ($host)"
  # The interpreter's guard against native stack overflow budgets for ordinary frames;
  # ASan's are larger, so the tests run with a larger main-thread stack.
  # A finding is a sanitizer report. Tests may also fail for a reason that is not one: the
  # interpreter's native-stack budget (`StoreLimits::native_stack`) is sized for ordinary
  # frames, and ASan's are several times larger, so deep re-entry stops earlier ("call
  # stack exhausted"). Those are listed, not counted. One test is skipped: it runs the
  # interpreter on a thread of 256 KiB, sized for ordinary frames, which ASan's overflow.
  # The threads test's litmus runs are long: without the optimiser's tail calls between
  # handlers (ASan's instrumentation keeps frames), the threaded backend's long runs grow the
  # native stack, so that test runs on the portable loop (SPINDLE_DISPATCH=loop).
  log=$(mktemp)
  SPINDLE_DISPATCH=loop \
  RUST_MIN_STACK=$((64 << 20)) RUSTFLAGS="-Zsanitizer=address" RUSTDOCFLAGS="-Zsanitizer=address" \
    ASAN_OPTIONS=detect_leaks=1 \
    cargo +nightly test --release --target "$host" --target-dir target/asan --no-fail-fast \
      -p spindle-exec -p spindle --lib --tests -- \
      --skip unbounded_recursion_traps_on_a_256k_stack >"$log" 2>&1 || true
  grep -E '^test result|^test .* FAILED' "$log" || true
  if grep -qE 'ERROR: (Address|Leak)Sanitizer' "$log"; then
    grep -A30 -E 'ERROR: (Address|Leak)Sanitizer' "$log" | head -80
    echo "sanitizer finding in the tests (full log: $log)"
    exit 1
  fi
  echo "no sanitizer report in the tests (log: $log)"
  echo "== fuzz targets under AddressSanitizer, ${secs} s each"
  cd fuzz
  for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "-- $t"
    cargo +nightly fuzz run -s address -O "$t" "corpus/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1 2>&1 |
      grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|ERROR|SUMMARY' || true
    # cargo-fuzz exits non-zero on a finding; `grep` above hides nothing else.
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "finding in $t"; exit 1; }
  done
else
  command -v valgrind >/dev/null || { echo "sanitize.sh: no nightly toolchain and no valgrind" >&2; exit 1; }
  echo "== tests of spindle-exec and spindle under valgrind"
  bins=$(cargo test --release -p spindle-exec -p spindle --lib --tests --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')
  for b in $bins; do
    echo "-- $b"
    valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
      "$b" --test-threads=1 >/dev/null
  done
  echo "== fuzz targets' corpora under valgrind"
  cd fuzz
  for t in "${targets[@]}"; do
    [ -d "corpus/$t" ] || continue
    cargo fuzz build -s none -O "$t"
    valgrind --quiet --error-exitcode=99 "target/$host/release/$t" "corpus/$t" -runs=0
  done
fi
echo "sanitize.sh: clean"
