#!/usr/bin/env bash
# Installs every Debian package the project builds, tests and fuzzes with.
# Idempotent: does nothing when all are present.
set -euo pipefail

packages=(
  g++ cmake ninja-build
  libboost1.81-dev libboost-json1.81-dev libsimdjson-dev
  libtomlplusplus-dev prometheus-cpp-dev libspdlog-dev
  libsecp256k1-dev libcrypto++-dev libssl-dev
  libgtest-dev libbenchmark-dev
  clang-14 libfuzzer-14-dev clang-format-14
)
# Node.js runs the wallet-library signature test (ethers from npm); a machine
# that already has node and npm (e.g. from NodeSource) keeps them.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
