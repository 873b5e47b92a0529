#!/usr/bin/env bash
# Builds dae's libFuzzer targets (tests/fuzz, clang, -DDAE_FUZZ=ON) in build-fuzz/ and runs every
# target for SECONDS (default 60), all at once, each on a copy of its committed corpus so that the
# corpus in the tree stays as committed. Fails when any target reports a crash, a leak, a timeout
# or an out-of-memory; the input that did it is kept in build-fuzz/findings/<target>/ and the
# log's tail printed. Usage: scripts/fuzz.sh [SECONDS]   (scripts/setup.sh --with-fuzz first)
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
cxx="${DAE_FUZZ_CXX:-$(command -v clang++-14 || command -v clang++ || true)}"
if [[ -z "$cxx" ]]; then
  echo "fuzz.sh: clang++ not found (scripts/setup.sh --with-fuzz installs clang-14)" >&2
  exit 2
fi
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDAE_FUZZ=ON -DDAE_BUILD_TESTS=OFF -DDAE_BUILD_EXAMPLES=OFF -DDAE_BUILD_BENCHMARKS=OFF \
  -DDAE_WITH_CUDA=OFF >/dev/null
cmake --build "$build" -j"${DAE_FUZZ_JOBS:-2}" --target dae_fuzz
targets=(fuzz_idx fuzz_npy fuzz_safetensors fuzz_autoencoder_load fuzz_training_state fuzz_labels)
work="$build/runs"
rm -rf "$work" "$build/findings"
pids=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$build/findings/$t"
  cp -r "$root/tests/fuzz/corpus/$t/." "$work/$t/"
  # -max_len: the largest seed, so that whole checkpoints and training states stay reachable
  # (libFuzzer would otherwise cut inputs at 1 MiB). -timeout / -rss_limit_mb: a slow or
  # memory-hungry input is a finding, not a stall.
  max_len=$(find "$work/$t" -type f -printf '%s\n' | sort -n | tail -1)
  (cd "$build/findings/$t" && "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
     -artifact_prefix="$build/findings/$t/" "$work/$t" >"$build/findings/$t.log" 2>&1) &
  pids+=($!)
done
failed=0
for i in "${!targets[@]}"; do
  t="${targets[$i]}"
  if wait "${pids[$i]}"; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/findings/$t.log" | grep -o '[0-9]*$' || echo "?")
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$build/findings/$t.log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz.sh: $t: no findings in $runs executions, ${seconds} s, peak RSS $rss MB"
  else
    failed=1
    echo "fuzz.sh: $t FAILED; input(s) in $build/findings/$t/:" >&2
    ls "$build/findings/$t" >&2
    tail -40 "$build/findings/$t.log" >&2
  fi
done
exit "$failed"
