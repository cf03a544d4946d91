#!/bin/sh
# bench_classify.sh BUILD [N_ZIPS] [-- bench args]: unzips N (default 3) SaudiNewsNet day files
# from ../shared/data/news/saudinewsnet into a temporary directory, runs bench_classify on
# them, and removes the directory. Skips (77) when the data is absent.
set -eu
build=${1:?usage: bench_classify.sh BUILD [N_ZIPS] [bench args]}
n=${2:-3}
shift; [ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../shared/data/news/saudinewsnet"
if ! ls "$src"/*.zip >/dev/null 2>&1; then
  echo "skipped: no SaudiNewsNet zips in $src"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Python's zipfile (Debian python3) instead of unzip, so no extra package is needed.
for z in $(ls "$src"/*.zip | head -n "$n"); do /usr/bin/python3 -m zipfile -e "$z" "$tmp"; done
"$build/bench/bench_classify" "$@" "$tmp"/*.json
