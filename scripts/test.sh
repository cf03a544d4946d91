#!/usr/bin/env bash
# The whole test command (README's second command; .ci/run calls exactly this):
# installs dependencies, checks formatting, then builds twice - a normal Release build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build - and runs every test in both.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/check-format.sh

jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1
# Sanitizers: any report fails the test. Known leaks inside system libraries: tests/lsan.supp.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

build_and_test() {
  local dir=$1
  shift
  echo "==> configure $dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  echo "==> build $dir"
  cmake --build "$dir" -j"$jobs"
  echo "==> test $dir"
  ctest --test-dir "$dir" -j"$jobs" --timeout 600 | tee "$dir/ctest.log"
  # Count what ran and what skipped (no ../shared), for the closing summary.
  passed=$((passed + $(grep -cE 'Test +#[0-9]+: .* Passed' "$dir/ctest.log" || true)))
  skipped=$((skipped + $(grep -cE 'Test +#[0-9]+: .* Skipped' "$dir/ctest.log" || true)))
}
passed=0
skipped=0

build_and_test build/release -DRAQIB_SANITIZE=OFF -DRAQIB_TESTS=ON -DRAQIB_BENCH=ON
build_and_test build/asan -DRAQIB_SANITIZE=ON -DRAQIB_TESTS=ON -DRAQIB_BENCH=OFF

if [ -x scripts/fuzz.sh ]; then
  echo "==> fuzz (short run)"
  bash scripts/fuzz.sh --seconds 30
fi
# The closing line CI reads: every ctest test of both builds passed (a failure exits above).
echo "tests: ${passed} passed, 0 failed, ${skipped} skipped"
