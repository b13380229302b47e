#!/usr/bin/env bash
# Installs dependencies, then builds and runs every check:
#   1. clang-format is clean
#   2. release build: unit, spec, property and contract tests (ctest); benchmarks compile
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build of the same tests
#   4. libFuzzer targets (clang), each run for a bounded time
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

jobs=$(nproc)
fuzz_seconds=${BALLAST_FUZZ_SECONDS:-10}
# The sanitizer and fuzz builds: line tables only (-g1), which compile faster
# than full debug information and still give symbolized stack traces.
checked_flags="-O2 -g1 -DNDEBUG"

echo "== format"
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find src tests bench fuzz -name '*.cpp' -o -name '*.hpp')
if ! clang-format-14 --dry-run --Werror $files; then
  echo "clang-format: run clang-format-14 -i on the files above" >&2
  exit 1
fi

echo "== ethers (signs the EIP-712 test vectors at test time), ws (the WebSocket end-to-end test) and the TypeScript SDK's dependencies"
(cd tests/eth && npm ci --no-audit --no-fund --silent)
(cd tests/ws_node && npm ci --no-audit --no-fund --silent)
(cd clients/ts && npm ci --no-audit --no-fund --silent)

echo "== release build and tests"
./scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DBALLAST_TESTS=ON -DBALLAST_BENCH=ON
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== ASan + UBSan build and tests"
./scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$checked_flags" -DBALLAST_SANITIZE=ON -DBALLAST_TESTS=ON -DBALLAST_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== fuzzing (${fuzz_seconds}s per target)"
CXX=clang++-14 ./scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$checked_flags" -DBALLAST_FUZZ=ON \
  -DBALLAST_TESTS=OFF -DBALLAST_BENCH=OFF -DBALLAST_FUZZ_SECONDS="$fuzz_seconds" \
  -- decimal_parser_fuzz replay_line_fuzz command_codec_fuzz rest_request_fuzz ws_message_fuzz
ctest --test-dir build-fuzz --output-on-failure
