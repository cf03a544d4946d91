#!/bin/sh
# Runs `systemd-analyze verify` on systemd/raqib.service. The unit names /usr/bin/raqib, which
# verify requires to exist; the copy checked here points at the built binary instead and is
# otherwise the shipped file. Exit 77 (skip) when systemd-analyze is not installed.
set -eu
unit=$1
binary=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not installed"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/bin/raqib|$binary|" "$unit" >"$dir/raqib.service"
# verify prints problems and exits non-zero on errors; warnings about this machine's own units
# (not ours) are filtered out of the judgement by checking only lines naming raqib.service.
out=$(cd "$dir" && systemd-analyze verify "$dir/raqib.service" 2>&1) || {
  echo "$out"
  exit 1
}
if echo "$out" | grep -q "raqib.service"; then
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify: raqib.service OK"
grep -E '^(Type|WatchdogSec|DynamicUser|StateDirectory|ConfigurationDirectory|ProtectSystem|ProtectHome|PrivateTmp|NoNewPrivileges|RestrictAddressFamilies|SystemCallFilter|MemoryMax)=' "$unit"
