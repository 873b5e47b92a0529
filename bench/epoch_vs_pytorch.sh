#!/usr/bin/env bash
# Same-run comparison of dae's CPU backend with PyTorch on the reference pipeline, on this
# machine's cores: one training epoch each (48,000 images, batch 256), encoding the 48,000
# training images, and the peak memory (RSS) of each process. Absolute times on a shared machine
# drift by a factor of several between runs, so only ratios measured here, side by side, mean
# anything; the load average is printed before and after.
#
# Builds nothing. Usage:
#   bench/epoch_vs_pytorch.sh [BUILD_DIR]          (default: build)
# Environment: DAE_DATA (default data/mnist), PYTHON (default /usr/bin/python3, Debian's
# python3-torch), THREADS: passed as --threads to dae if set (default: none, dae's defaults, as the
# README runs it); PyTorch gets THREADS or else every core (torch.set_num_threads).
#
# Order, quiet: dae epoch, PyTorch epoch, dae epoch again (the headline uses the slower dae run),
# then encoding with each. Loaded: the script starts one busy process of its own (a shell loop
# that never sleeps, like a neighbour's compile or training job) and runs the three epochs again
# under it, then stops it. What is timed:
#   epoch  the train_seconds of each side's per-epoch JSON (training steps incl. batch assembly
#          and noise; validation excluded), and `seconds` (with validation) alongside.
#   encode the forward passes over the 48,000 images in batches of 1024, on both sides: dae's from
#          the line `dae_mnist encode` prints (steady_clock around its batches, no warm-up),
#          PyTorch's with perf_counter under no_grad after one warm-up batch (import and data
#          loading excluded); and dae's whole `dae_mnist encode` command (start-up, reading the
#          model and the .npy, writing the codes) against the same PyTorch figure.
# Then dae alone beside two busy neighbours (two epochs): with four runnable threads on two cores
# dae's fair share is one core, so "proportional" is at most twice the quiet epoch.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
DATA=${DAE_DATA:-$ROOT/data/mnist}
THREADS=${THREADS:-}
TORCH_THREADS=${THREADS:-$(nproc)}
DAE_THREADS=()
[[ -n $THREADS ]] && DAE_THREADS=(--threads "$THREADS")
PYTHON=${PYTHON:-/usr/bin/python3}
DAE=$BUILD/examples/dae_mnist/dae_mnist

[[ -x $DAE ]] || { echo "epoch_vs_pytorch.sh: $DAE is not built (cmake --build $BUILD --target dae_mnist)" >&2; exit 1; }
[[ -e $DATA/train-images-idx3-ubyte || -e $DATA/train-images-idx3-ubyte.gz ]] ||
  { echo "epoch_vs_pytorch.sh: no MNIST in $DATA (set DAE_DATA)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "epoch_vs_pytorch.sh: needs /usr/bin/time (GNU time)" >&2; exit 1; }

WORK=$(mktemp -d)
BUSY=
BUSY2=
trap '[[ -n $BUSY ]] && kill "$BUSY" $BUSY2 2>/dev/null; rm -rf "$WORK"' EXIT
now() { date +%s.%N; }

echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:      $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; dae ${DAE_THREADS[*]:-with its defaults}, PyTorch $TORCH_THREADS threads"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (before)"

# epochs TAG: dae one epoch, PyTorch one epoch, dae one epoch again, into $WORK/TAG-*.
epochs() {
  local tag=$1
  /usr/bin/time -v -o "$WORK/$tag-dae1.time" "$DAE" train --data "$DATA" --out "$WORK/$tag-dae1" --epochs 1 \
    "${DAE_THREADS[@]}" >"$WORK/$tag-dae1.log" 2>&1 || { cat "$WORK/$tag-dae1.log" >&2; exit 1; }
  /usr/bin/time -v -o "$WORK/$tag-torch.time" "$PYTHON" "$ROOT/bench/pytorch_train.py" --data "$DATA" --epochs 1 \
    --threads "$TORCH_THREADS" >"$WORK/$tag-torch.jsonl" 2>"$WORK/$tag-torch.log" ||
    { cat "$WORK/$tag-torch.log" >&2; exit 1; }
  /usr/bin/time -v -o "$WORK/$tag-dae2.time" "$DAE" train --data "$DATA" --out "$WORK/$tag-dae2" --epochs 1 \
    "${DAE_THREADS[@]}" >"$WORK/$tag-dae2.log" 2>&1 || { cat "$WORK/$tag-dae2.log" >&2; exit 1; }
}
epochs quiet

# 4. Encoding 48,000 images (the first 48,000 of the training file: the same cost as the split's).
"$PYTHON" - "$DATA" "$WORK/train48k.npy" <<'EOF'
import gzip, os, sys
import numpy as np
folder, out = sys.argv[1], sys.argv[2]
for path in (os.path.join(folder, "train-images-idx3-ubyte"), os.path.join(folder, "train-images-idx3-ubyte.gz")):
    if os.path.exists(path):
        data = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
        break
images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(-1, 28, 28)[:48000]
np.save(out, images)
EOF
start=$(now)
/usr/bin/time -v -o "$WORK/dae_encode.time" "$DAE" encode --model "$WORK/quiet-dae1/model.safetensors" \
  --images "$WORK/train48k.npy" --out "$WORK/codes.npy" "${DAE_THREADS[@]}" >"$WORK/dae_encode.log" 2>&1 ||
  { cat "$WORK/dae_encode.log" >&2; exit 1; }
dae_encode_seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
/usr/bin/time -v -o "$WORK/torch_encode.time" "$PYTHON" - "$ROOT" "$WORK/train48k.npy" "$TORCH_THREADS" \
  >"$WORK/torch_encode.json" <<'EOF'
import json, sys, time
import numpy as np
import torch
root, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root + "/tests/reference")
from reference_model import Autoencoder
torch.set_num_threads(threads)
images = torch.from_numpy(np.load(path)).float().div_(255.0).unsqueeze(1)
model = Autoencoder(4).eval()
with torch.no_grad():
    model.encoder(images[:1024])  # warm-up
    start = time.perf_counter()
    codes = torch.cat([model.encoder(batch) for batch in images.split(1024)])
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "images": len(codes)}))
EOF
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (quiet part done)"

# 5. The same epochs beside one busy neighbour process.
bash -c 'while :; do :; done' &
BUSY=$!
epochs loaded
bash -c 'while :; do :; done' &
BUSY2=$!
for run in 1 2; do
  "$DAE" train --data "$DATA" --out "$WORK/busy2-dae$run" --epochs 1 "${DAE_THREADS[@]}" >"$WORK/busy2-dae$run.log" 2>&1 ||
    { cat "$WORK/busy2-dae$run.log" >&2; exit 1; }
done
kill "$BUSY" "$BUSY2"
wait "$BUSY" "$BUSY2" 2>/dev/null || true
BUSY=
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (after; includes the busy neighbours)"
echo

"$PYTHON" - "$WORK" "$dae_encode_seconds" <<'EOF'
import json, sys
work, dae_encode = sys.argv[1], float(sys.argv[2])
def metrics(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()][-1]
def peak_mb(path):
    for line in open(path):
        if "Maximum resident set size" in line:
            return int(line.split()[-1]) / 1024.0
def side(tag):
    dae = [metrics(f"{work}/{tag}-dae{i}/metrics.jsonl") for i in (1, 2)]
    return dae, metrics(f"{work}/{tag}-torch.jsonl")
dae, torch = side("quiet")
loaded_dae, loaded_torch = side("loaded")
torch_encode = json.load(open(f"{work}/torch_encode.json"))["seconds"]
dae_forward = float(open(f"{work}/dae_encode.log").read().split(" in ")[1].split()[0])
dae_peak = max(peak_mb(f"{work}/quiet-dae{i}.time") for i in (1, 2))
def epoch_rows(label, dae, torch):
    return [
        (f"epoch, training, {label} (s)", f"{dae[0]['train_seconds']:.2f} / {dae[1]['train_seconds']:.2f}",
         f"{torch['train_seconds']:.2f}", torch["train_seconds"] / max(m["train_seconds"] for m in dae)),
        (f"epoch, with validation, {label}", f"{dae[0]['seconds']:.2f} / {dae[1]['seconds']:.2f}",
         f"{torch['seconds']:.2f}", torch["seconds"] / max(m["seconds"] for m in dae)),
    ]
rows = epoch_rows("quiet", dae, torch) + epoch_rows("1 busy", loaded_dae, loaded_torch) + [
    ("encode 48,000, forward passes (s)", f"{dae_forward:.3f}", f"{torch_encode:.3f}", torch_encode / dae_forward),
    ("encode, whole dae command (s)", f"{dae_encode:.3f}", f"{torch_encode:.3f}", torch_encode / dae_encode),
    ("peak RSS, training (MB)", f"{dae_peak:.0f}", f"{peak_mb(work + '/quiet-torch.time'):.0f}",
     peak_mb(work + "/quiet-torch.time") / dae_peak),
    ("peak RSS, encoding (MB)", f"{peak_mb(work + '/dae_encode.time'):.0f}",
     f"{peak_mb(work + '/torch_encode.time'):.0f}",
     peak_mb(work + "/torch_encode.time") / peak_mb(work + "/dae_encode.time")),
]
print(f"| {'':34} | {'dae (run 1 / run 2)':>20} | {'PyTorch':>9} | {'PyTorch / dae':>13} |")
print(f"|{'-' * 36}|{'-' * 22}:|{'-' * 10}:|{'-' * 14}:|")
for name, ours, theirs, ratio in rows:
    print(f"| {name:34} | {ours:>20} | {theirs:>9} | {ratio:>12.1f}x |")
loaded_over_quiet = max(m["train_seconds"] for m in loaded_dae) / max(m["train_seconds"] for m in dae)
print()
busy2 = [metrics(f"{work}/busy2-dae{i}/metrics.jsonl")["train_seconds"] for i in (1, 2)]
print(f"dae's epoch with one busy neighbour / quiet: {loaded_over_quiet:.2f}x")
print(f"dae's epoch with two busy neighbours: {busy2[0]:.2f} / {busy2[1]:.2f} s, "
      f"{max(busy2) / max(m['train_seconds'] for m in dae):.2f}x quiet (its fair share: 2x)")
print()
print(f"train_loss after one epoch: dae {dae[0]['train_loss']:.4f}, PyTorch {torch['train_loss']:.4f}; "
      f"val_loss: dae {dae[0]['val_loss']:.4f}, PyTorch {torch['val_loss']:.4f}")
EOF
