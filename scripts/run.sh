#!/usr/bin/env bash
# Installs dependencies, builds Ballast and runs the main job: a narrated demo
# session replayed through the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DBALLAST_TESTS=OFF -DBALLAST_BENCH=OFF
./build/ballast demo
