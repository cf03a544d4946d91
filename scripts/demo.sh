#!/usr/bin/env bash
# The README's first command: installs dependencies, builds raqib, and runs the daemon on the
# built-in demo (local demo feeds, alerts on this terminal; no external services). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DRAQIB_TESTS=OFF -DRAQIB_BENCH=OFF >/dev/null
cmake --build build/demo -j"$(nproc)" --target raqib
exec ./build/demo/raqib demo "$@"
