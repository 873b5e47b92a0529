#!/usr/bin/env bash
# The README's test command: installs what is missing, configures, builds (Release) and runs every
# test with CTest. GPU tests report "skipped" on a machine without a usable GPU.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DAE_BUILD_DIR:-$root/build-test}"
jobs="${DAE_JOBS:-$(nproc)}"
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" "$@"
