#!/bin/sh
# classify_cli.sh RAQIB: three lines in (good, broken, good) -> two JSON lines out, an error
# naming line 2 on stderr, exit status 1.
raqib=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
printf '%s\n' '{"id":"a","title":"مقتل 3 بقصف على غزة","text":"قتل ثلاثة في غارة جوية."}' \
  '{"id":"b","text":' '{"id":"c","text":"سجل المهاجم هدفا في المباراة."}' > "$dir/in.jsonl"
"$raqib" classify "$dir/in.jsonl" > "$dir/out" 2> "$dir/err"
status=$?
cat "$dir/out" "$dir/err"
[ "$status" -eq 1 ] || { echo "expected exit 1, got $status"; exit 1; }
[ "$(wc -l < "$dir/out")" -eq 2 ] || { echo "expected 2 output lines"; exit 1; }
grep -q 'line 2' "$dir/err" || { echo "stderr does not name line 2"; exit 1; }
grep -q '"id":"a"' "$dir/out" && grep -q '"attack"' "$dir/out" || { echo "item a not attack"; exit 1; }
grep -q '"id":"c","labels":\[\]' "$dir/out" || { echo "item c not none"; exit 1; }
# stdin works too
echo '{"id":7,"text":"دانت وزارة الخارجية الهجوم الإرهابي."}' | "$raqib" classify | grep -q '"statement"' ||
  { echo "stdin item not statement"; exit 1; }
