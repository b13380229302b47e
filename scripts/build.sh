#!/usr/bin/env bash
# build.sh DIR [cmake options...]: configure (once) and build one build tree.
set -euo pipefail
dir=$1
shift
cmake -S "$(dirname "$0")/.." -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir"
