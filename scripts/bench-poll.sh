#!/usr/bin/env bash
# One poll cycle of 1,000 and 10,000 feeds through raqib's whole pipeline (bench/bench_poll.cc):
# wall time, CPU time, peak resident memory and item-to-Kafka latency, per cycle (cold: every
# article new; warm: every feed answers 304; reread: every document parsed again, all
# duplicates). Targets: 10,000 feeds per CPU-minute, under 300 MB resident.
#   scripts/bench-poll.sh [BUILD_DIR]     (default build/release; needs -DRAQIB_BENCH=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
cmake --build "$build" --target bench_poll >/dev/null
for n in 1000 10000; do
  "$build/bench/bench_poll" --feeds "$n" --items 5 --sink mock 2>/dev/null
done
