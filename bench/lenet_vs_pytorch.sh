#!/usr/bin/env bash
# Same-run comparison of examples/lenet on dae's CPU backend with the same network in PyTorch
# (bench/pytorch_lenet.py): one training epoch each on the 60,000 MNIST images, in the order
# dae, PyTorch, dae (the table uses the slower dae run), then the ratio. Only ratios measured side
# by side mean anything on a shared machine; the load average is printed before and after.
#
# Builds nothing. Usage:
#   bench/lenet_vs_pytorch.sh [BUILD_DIR]          (default: build)
# Environment: DAE_DATA (default data/mnist), PYTHON (default /usr/bin/python3, Debian's
# python3-torch), THREADS (default: every core) for both sides.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
DATA=${DAE_DATA:-$ROOT/data/mnist}
THREADS=${THREADS:-$(nproc)}
PYTHON=${PYTHON:-/usr/bin/python3}
LENET=$BUILD/examples/lenet/lenet
[[ -x $LENET ]] || { echo "lenet_vs_pytorch.sh: $LENET is not built (cmake --build $BUILD --target lenet)" >&2; exit 1; }

echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:      $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $THREADS threads each"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (before)"

dae_epoch() {  # prints "seconds accuracy" of one dae epoch
  "$LENET" --data "$DATA" --epochs 1 --threads "$THREADS" |
    sed -n 's/.*test accuracy \([0-9.]*\) %  (\([0-9.]*\) s training).*/\2 \1/p'
}
read -r dae1 dae1_acc < <(dae_epoch)
read -r torch torch_acc < <("$PYTHON" "$ROOT/bench/pytorch_lenet.py" --data "$DATA" --epochs 1 --threads "$THREADS" |
  "$PYTHON" -c 'import json,sys; r=json.loads(sys.stdin.readline()); print(r["train_seconds"], 100*r["test_accuracy"])')
read -r dae2 dae2_acc < <(dae_epoch)
dae=$(awk -v a="$dae1" -v b="$dae2" 'BEGIN { print (a > b ? a : b) }')

echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (after)"
printf '%-28s %12s %12s %8s\n' "one epoch, 60000 images" "dae (s)" "PyTorch (s)" "ratio"
printf '%-28s %12.2f %12.2f %7.1fx\n' "training" "$dae" "$torch" "$(awk -v d="$dae" -v t="$torch" 'BEGIN { print t / d }')"
printf '%-28s %12s %12.2f\n' "test accuracy after it (%)" "$dae1_acc" "$torch_acc"
echo "dae runs: $dae1 s and $dae2 s"
