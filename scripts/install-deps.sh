#!/usr/bin/env bash
# Installs everything raqib needs to build, run and test on Debian 12, from Debian's packages only.
# Idempotent and non-interactive: packages already present are skipped, and apt is not touched
# at all when nothing is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git ccache clang clang-format clang-tidy
  # libraries (see docs/DEPENDENCIES.md for why each one)
  libcurl4-openssl-dev libpugixml-dev librdkafka-dev libspdlog-dev libfmt-dev catch2
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libsqlite3-dev libcpp-httplib-dev
  libsystemd-dev libicu-dev zlib1g-dev libbenchmark-dev libgumbo-dev libbrotli-dev
  # test peers and tools: independent Kafka clients, reference feed parser, schema validation
  kcat python3 python3-kafka python3-lz4 python3-zstandard python3-feedparser python3-jsonschema
  sqlite3 systemd curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
