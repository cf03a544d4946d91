#!/usr/bin/env bash
# Builds the libFuzzer target for the feed parser with clang (ASan + UBSan) and runs it.
#   scripts/fuzz.sh [--seconds N]   (default 60)
# Seeds are read in place from ../shared/data/feeds when it exists (never copied into the repo);
# inputs the fuzzer finds go to $BUILD/corpus, crashes to $BUILD/crash-* (and fail the run).
# Build dir: $RAQIB_FUZZ_BUILD_DIR, default build/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--seconds N]" >&2; exit 2 ;;
  esac
done

dir=${RAQIB_FUZZ_BUILD_DIR:-build/fuzz}
echo "==> fuzz: build $dir (clang)"
CC=clang CXX=clang++ cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAQIB_FUZZ=ON \
  -DRAQIB_TESTS=OFF -DRAQIB_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  >/dev/null
cmake --build "$dir" --target fuzz_parse_feed -j"$(nproc)"

corpus=$dir/corpus
mkdir -p "$corpus"
seeds=()
if [ -d ../shared/data/feeds ]; then
  seeds=(../shared/data/feeds)
else
  echo "fuzz: ../shared/data/feeds is absent: starting from an empty corpus"
fi
echo "==> fuzz: run ${seconds}s"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1"
"$dir/fuzz/fuzz_parse_feed" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/" "$corpus" "${seeds[@]}"
