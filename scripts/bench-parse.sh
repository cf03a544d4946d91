#!/usr/bin/env bash
# Parse throughput of raqib's feed parser vs Debian's python3-feedparser on the same files, in
# the same run, and the ratio (target: at least 100x).
#   scripts/bench-parse.sh [DIR] [--build DIR] [--seconds S]
# DIR defaults to ../shared/data/feeds; the build dir (default build-release, else build/release)
# must have bench_parse built (cmake --build BUILD --target bench_parse).
set -euo pipefail
cd "$(dirname "$0")/.."

data=../shared/data/feeds
build=""
seconds=3
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -*) echo "usage: $0 [DIR] [--build DIR] [--seconds S]" >&2; exit 2 ;;
    *) data=$1; shift ;;
  esac
done
if [ -z "$build" ]; then
  for candidate in build-release build/release; do
    if [ -x "$candidate/bench/bench_parse" ]; then build=$candidate; break; fi
  done
fi
bench=${build:+$build/bench/bench_parse}
if [ -z "$bench" ] || [ ! -x "$bench" ]; then
  echo "bench-parse: bench_parse not built; run: cmake --build BUILD --target bench_parse" >&2
  exit 1
fi
if [ ! -d "$data" ]; then
  echo "bench-parse: $data is absent" >&2
  exit 1
fi

list=$(mktemp)
trap 'rm -f "$list"' EXIT
find "$data" -type f | sort > "$list"

raqib_out=$("$bench" --list "$list" --seconds "$seconds")
echo "$raqib_out"
raqib_mbs=$(echo "$raqib_out" | awk '/^raqib MB\/s \(CPU\):/ {print $4}')

feedparser_mbs=$(/usr/bin/python3 - "$list" "$seconds" <<'PY'
import sys, time, warnings
import feedparser
warnings.simplefilter("ignore")
paths = [p for p in open(sys.argv[1]).read().split("\n") if p]
seconds = float(sys.argv[2])
files = [open(p, "rb").read() for p in paths]
size = sum(len(f) for f in files)
rounds, start, cpu_start = 0, time.monotonic(), time.process_time()
while True:
    for data in files:
        try:
            feedparser.parse(data)
        except Exception:  # a few ill-formed suite files make feedparser raise: time them anyway
            pass
    rounds += 1
    elapsed = time.monotonic() - start
    if elapsed >= seconds:
        break
cpu = time.process_time() - cpu_start
print(f"feedparser {feedparser.__version__}: {len(files)} files, {rounds} rounds, {elapsed:.2f} s wall, "
      f"{cpu:.2f} s CPU, {size * rounds / 1e6 / elapsed:.4f} MB/s (wall)", file=sys.stderr)
print(f"{size * rounds / 1e6 / cpu:.4f}")
PY
)
echo "feedparser MB/s (CPU): $feedparser_mbs"
awk -v a="$raqib_mbs" -v b="$feedparser_mbs" 'BEGIN { printf "ratio raqib/feedparser (CPU time): %.1fx (target >= 100x)\n", a / b }'
