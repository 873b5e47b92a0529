#!/usr/bin/env bash
# Same-run comparison of two builds of dae_mnist (e.g. before and after a change to the layers):
# one training epoch each on real MNIST (48,000 images, batch 256, dae's defaults), alternating
# A, B, A, B so drift on a shared machine hits both alike. Prints each run's train_seconds, the
# best of each side and the ratio B/A, with the load average before and after.
# Builds nothing. Usage:
#   bench/epoch_before_after.sh DAE_MNIST_A DAE_MNIST_B
# Environment: DAE_DATA (default data/mnist), ROUNDS (default 2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
A=${1:?usage: epoch_before_after.sh DAE_MNIST_A DAE_MNIST_B}
B=${2:?usage: epoch_before_after.sh DAE_MNIST_A DAE_MNIST_B}
DATA=${DAE_DATA:-$ROOT/data/mnist}
ROUNDS=${ROUNDS:-2}
for bin in "$A" "$B"; do [[ -x $bin ]] || { echo "epoch_before_after.sh: $bin is not an executable" >&2; exit 1; }; done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

epoch() {  # epoch BINARY NAME -> prints train_seconds of one epoch
  rm -rf "$WORK/$2"
  "$1" train --data "$DATA" --out "$WORK/$2" --epochs 1 >/dev/null 2>&1
  /usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["train_seconds"])' \
    "$WORK/$2/metrics.jsonl"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
best_a=; best_b=
printf '%-6s %-12s %-12s\n' round "A (s)" "B (s)"
for round in $(seq "$ROUNDS"); do
  a=$(epoch "$A" a); b=$(epoch "$B" b)
  printf '%-6s %-12.3f %-12.3f\n' "$round" "$a" "$b"
  best_a=$(/usr/bin/python3 -c "print(min(float('$a'), float('${best_a:-inf}')))")
  best_b=$(/usr/bin/python3 -c "print(min(float('$b'), float('${best_b:-inf}')))")
done
printf 'best   %-12.3f %-12.3f  B/A = %.3f\n' "$best_a" "$best_b" "$(/usr/bin/python3 -c "print($best_b / $best_a)")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A: $A"
echo "B: $B"
