#!/usr/bin/env bash
# power_loss_soak.sh [SEEDS] [FIRST_SEED] [BUILD_DIR]: runs the simulated
# power-loss test (tests/power_loss_test.cpp) over many more seeds than CI
# does, four power cuts per seed, and prints its report. Defaults: 1000 seeds
# (4,000 cuts) from seed 1000 (CI runs seeds 1 to 50), build tree build-dur.
# A failure names its seed and cut; rerun that seed alone to reproduce it:
#   scripts/power_loss_soak.sh 1 SEED
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-1000}
first=${2:-1000}
build=${3:-build-dur}
binary="$build/tests/ballast_tests"
if [ ! -x "$binary" ]; then
  echo "no $binary: build it first (scripts/build.sh $build -DBALLAST_TESTS=ON)" >&2
  exit 2
fi
echo "power-loss soak: seeds $first to $((first + seeds - 1)), $((seeds * 4)) power cuts"
start=$(date +%s)
status=0
BALLAST_POWER_LOSS_SEEDS=$seeds BALLAST_POWER_LOSS_FIRST_SEED=$first \
  "$binary" --gtest_filter='PowerLoss.NothingAcknowledgedIsLostAtAnyCut' --gtest_brief=1 || status=$?
echo "took $(($(date +%s) - start)) s; $([ $status -eq 0 ] && echo 'no loss found' || echo 'FAILED: see above')"
exit $status
