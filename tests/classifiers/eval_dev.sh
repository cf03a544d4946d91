#!/bin/sh
# eval_dev.sh RAQIB GOLD MIN: runs `raqib eval GOLD`, fails if macro_f1 < MIN, skips (77)
# when the shared data is absent (a fresh clone has no ../shared).
raqib=$1 gold=$2 min=$3
if [ ! -f "$gold" ]; then
  echo "skipped: $gold not found"
  exit 77
fi
out=$("$raqib" eval "$gold") || { echo "$out"; exit 1; }
echo "$out"
macro=$(echo "$out" | tail -n 1 | sed -n 's/^macro_f1=//p')
[ -n "$macro" ] || { echo "no macro_f1 line"; exit 1; }
awk -v m="$macro" -v min="$min" 'BEGIN { exit !(m >= min) }' || { echo "macro_f1 $macro < $min"; exit 1; }
