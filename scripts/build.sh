#!/usr/bin/env bash
# build.sh DIR [cmake options...] [-- targets...]: configure (once) and build
# one build tree (every target, or only those after --).
set -euo pipefail
dir=$1
shift
options=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  options+=("$1")
  shift
done
[ $# -gt 0 ] && shift
cmake -S "$(dirname "$0")/.." -B "$dir" -G Ninja "${options[@]}" >/dev/null
ninja -C "$dir" "$@"
