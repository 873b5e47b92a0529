#!/usr/bin/env bash
# Trains the reference model with dae and with PyTorch, one after the other in the same run, on
# the same machine and thread count, and prints a markdown table of validation loss and seconds per
# epoch for both, then the final-loss gap and the speed ratio (issue: dae's 30-epoch validation loss
# within 5 % of PyTorch's, and dae's epoch faster).
#
# Usage: bench/train_vs_pytorch.sh [EPOCHS=30] [THREADS=2]
#   needs a built dae_mnist (DAE_MNIST, default build-release/examples/dae_mnist/dae_mnist),
#   MNIST in data/mnist (scripts/fetch_mnist.sh) and Debian's python3-torch.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
epochs="${1:-30}"
threads="${2:-2}"
dae_mnist="${DAE_MNIST:-$root/build-release/examples/dae_mnist/dae_mnist}"
data="${DAE_DATA:-$root/data/mnist}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)" >&2
"$dae_mnist" train --data "$data" --out "$work/dae" --epochs "$epochs" --threads "$threads" --seed 0 >&2
/usr/bin/python3 "$root/bench/pytorch_train.py" --data "$data" --epochs "$epochs" --threads "$threads" --seed 0 > "$work/torch.jsonl"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

/usr/bin/python3 - "$work/dae/metrics.jsonl" "$work/torch.jsonl" <<'PY'
import json, sys
ours = [json.loads(l) for l in open(sys.argv[1])]
torch = [json.loads(l) for l in open(sys.argv[2])]
print("| epoch | dae val_loss | PyTorch val_loss | dae s/epoch | PyTorch s/epoch |")
print("|---:|---:|---:|---:|---:|")
for a, b in zip(ours, torch):
    print(f"| {a['epoch']} | {a['val_loss']:.6f} | {b['val_loss']:.6f} | {a['seconds']:.2f} | {b['seconds']:.2f} |")
gap = (ours[-1]["val_loss"] - torch[-1]["val_loss"]) / torch[-1]["val_loss"]
mean_ours = sum(a["seconds"] for a in ours) / len(ours)
mean_torch = sum(b["seconds"] for b in torch) / len(torch)
print()
print(f"final validation loss: dae {ours[-1]['val_loss']:.6f}, PyTorch {torch[-1]['val_loss']:.6f}, "
      f"gap {100 * gap:+.2f} % ({'within' if abs(gap) <= 0.05 else 'OUTSIDE'} 5 %)")
print(f"mean seconds per epoch: dae {mean_ours:.2f}, PyTorch {mean_torch:.2f}, dae is {mean_torch / mean_ours:.1f}x faster")
PY
