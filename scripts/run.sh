#!/usr/bin/env bash
# Installs dependencies, builds Ballast and runs the main job: the exchange
# service (`ballast serve`) as an embedded demo on http://127.0.0.1:8080/v1,
# with a random-walk oracle and a seeded vault. Ctrl-C (SIGTERM) stops it
# gracefully with a final snapshot; run it again and it recovers its state.
# Extra arguments go to `ballast serve` (e.g. --config FILE, --listen, --data).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DBALLAST_TESTS=OFF -DBALLAST_BENCH=OFF
exec ./build/ballast serve "$@"
