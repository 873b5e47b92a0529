#!/usr/bin/env bash
# The one prepared GPU check of the CUDA backend (issue 5), for a machine with an NVIDIA GPU
# (written for the H200: sm_90). From the repository root or anywhere:
#
#   bench/gpu_check.sh            # BUILD=build-gpu-check JOBS=16 by default
#
# 1. configures (Release, CUDA arch 90, cuDNN comparison when cudnn.h is found) and builds only the
#    CUDA tests and benchmarks, -j16;
# 2. runs the CUDA tests (ctest -L cuda; a test that reports *skipped* is a failure here: this
#    script exists to run them on a device);
# 3. runs compute-sanitizer memcheck on each device test, and racecheck, synccheck and initcheck
#    on the kernel test, where compute-sanitizer exists, with DAE_CUDA_TEST_QUICK=1 (small
#    batches: the sanitizers are slow); the emulated CI run (docs/CUDA_EMULATION.md) proves the
#    same properties on the CPU, this proves them on the device;
# 4. runs the benchmarks: every conv pass at batch 256 and 4096 (ours, cuDNN, Eigen), the training
#    step, one epoch and 30 epochs, and the PyTorch-eager reference for 30 epochs;
# 5. prints a short table last (also in $OUT/summary.txt), with the raw JSON beside it.
#
# Every step has a timeout; the whole run is meant to stay under 8 minutes. A failing step is
# recorded and the script goes on to the next one, then exits non-zero if anything failed.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-gpu-check}
JOBS=${JOBS:-16}
OUT=${OUT:-$BUILD/gpu_check}
mkdir -p "$OUT"
START=$(date +%s)
FAILED=()
elapsed() { echo $(( $(date +%s) - START )); }
step() { echo; echo "=== [$(elapsed)s] $*"; }
# run NAME SECONDS CMD...: runs CMD with a timeout, logs to $OUT/NAME.log, records a failure.
run() {
  local name=$1 seconds=$2
  shift 2
  local status
  set +e
  timeout --kill-after=10 "$seconds" "$@" 2>&1 | tee "$OUT/$name.log"
  status=${PIPESTATUS[0]}
  set -e
  if [[ $status -ne 0 ]]; then
    echo "!!! $name failed (exit $status$([[ $status -eq 124 ]] && echo ', timed out'))"
    FAILED+=("$name")
  fi
  return 0
}

step "device"
if ! nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/device.txt"; then
  echo "no NVIDIA GPU visible (nvidia-smi failed): nothing to check here"
  exit 2
fi

step "configure"
CUDNN=OFF
for dir in /usr/local/cuda/include /usr/include /usr/include/x86_64-linux-gnu; do
  [[ -f $dir/cudnn.h ]] && CUDNN=ON
done
run configure 180 cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DDAE_WITH_CUDA=ON -DDAE_WITH_CUDNN=$CUDNN -DDAE_BUILD_EXAMPLES=ON
[[ " ${FAILED[*]} " == *" configure "* ]] && { echo "configure failed; see $OUT/configure.log"; exit 1; }

step "build (-j$JOBS)"
TARGETS=(test_cuda_kernel_math test_cuda_kernels test_cuda_model test_cuda_lenet test_cuda_kmeans test_cuda_two_units tiny_network_cuda
         bench_cuda_conv bench_cuda_training)
run build 300 cmake --build "$BUILD" -j"$JOBS" --target "${TARGETS[@]}"
[[ " ${FAILED[*]} " == *" build "* ]] && { echo "build failed; see $OUT/build.log"; exit 1; }

step "CUDA tests"
# A skip (exit 77) means the device was not usable: treat it as a failure in this script.
# example_lenet_cuda needs real MNIST, which the device machine cannot download; test_cuda_lenet
# runs the same network there.
run ctest 240 ctest --test-dir "$BUILD" -L cuda -E '^example_lenet_cuda$' --output-on-failure --no-tests=error
if grep -q "Skipped\|\*\*\*Not Run" "$OUT/ctest.log"; then
  echo "!!! a CUDA test was skipped: the device was not usable"
  FAILED+=("ctest-skipped")
fi

step "compute-sanitizer memcheck, racecheck, synccheck, initcheck"
SANITIZER=$(command -v compute-sanitizer || true)
for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [[ -z $SANITIZER && -x $candidate ]] && SANITIZER=$candidate
done
if [[ -n $SANITIZER ]]; then
  for test in test_cuda_kernels test_cuda_model test_cuda_kmeans; do
    run "memcheck_$test" 120 env DAE_CUDA_TEST_QUICK=1 "$SANITIZER" --tool memcheck --leak-check full \
      --error-exitcode 3 "$BUILD/tests/cuda/$test"
  done
  for tool in racecheck synccheck initcheck; do
    run "${tool}_test_cuda_kernels" 90 env DAE_CUDA_TEST_QUICK=1 "$SANITIZER" --tool "$tool" \
      --error-exitcode 3 "$BUILD/tests/cuda/test_cuda_kernels"
  done
else
  echo "compute-sanitizer not found: memcheck skipped" | tee "$OUT/memcheck.log"
fi

step "conv benchmarks"
run bench_conv 150 "$BUILD/bench/bench_cuda_conv" --benchmark_min_time=0.05 \
  --benchmark_out="$OUT/bench_conv.json" --benchmark_out_format=json

step "training benchmarks"
run bench_training 150 "$BUILD/bench/bench_cuda_training" \
  --benchmark_out="$OUT/bench_training.json" --benchmark_out_format=json

step "PyTorch eager, 30 epochs"
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  run pytorch 200 python3 bench/pytorch_reference.py --epochs 30 --json "$OUT/pytorch.json"
else
  echo "PyTorch with CUDA not available: reference skipped"
fi

step "summary"
python3 - "$OUT" <<'PY' | tee "$OUT/summary.txt"
import json, os, sys
out = sys.argv[1]
def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)
device = open(os.path.join(out, "device.txt")).read().strip() if os.path.exists(os.path.join(out, "device.txt")) else "?"
print(f"device: {device}")
conv = load("bench_conv.json")
if conv:
    times = {}
    for b in conv["benchmarks"]:
        if b.get("error_occurred"):
            continue
        impl, layer, pass_, batch = b["name"].split("/")[:4]
        unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "us")]
        times[(layer, pass_, batch, impl)] = (b["real_time"] * unit, b.get("GFLOP/s", 0) / 1e9)
    print(f"\n{'conv pass':44s} {'batch':>5s} {'ours us':>9s} {'cuDNN us':>9s} {'ours/cuDNN':>10s} {'GFLOP/s':>8s}")
    for (layer, pass_, batch, impl), (us, gflops) in sorted(times.items()):
        if impl != "ours":
            continue
        ref = times.get((layer, pass_, batch, "cudnn"))
        ratio = f"{us / ref[0]:.2f}x" if ref else "-"
        ref_us = f"{ref[0]:.1f}" if ref else "-"
        print(f"{layer + ' ' + pass_:44s} {batch:>5s} {us:9.1f} {ref_us:>9s} {ratio:>10s} {gflops:8.0f}")
    eigen = [(k, v) for k, v in times.items() if k[3] == "eigen"]
    if eigen:
        print("\nEigen CPU path (us):", ", ".join(f"{l} {p} {b}: {v[0]:.0f}" for (l, p, b, _), v in sorted(eigen)))
training = load("bench_training.json")
ours30 = None
if training:
    print()
    for b in training["benchmarks"]:
        if b.get("error_occurred"):
            print(f"{b['name']}: {b.get('error_message')}")
            continue
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ms")]
        seconds = b["real_time"] * unit
        if b["name"].startswith("BM_cuda_thirty_epochs"):
            ours30 = seconds
        extra = f"  loss {b['final_train_loss']:.4f}" if "final_train_loss" in b else ""
        print(f"{b['name']:40s} {seconds * 1e3:10.2f} ms{extra}")
torch_result = load("pytorch.json")
if torch_result:
    print(f"\nPyTorch {torch_result['torch']} eager, 30 epochs: {torch_result['seconds']:.2f} s "
          f"(final loss {torch_result['final_train_loss']:.4f})")
    if ours30:
        print(f"dae CUDA, 30 epochs: {ours30:.2f} s -> {torch_result['seconds'] / ours30:.1f}x faster than PyTorch eager")
PY

step "done in $(elapsed)s"
if [[ ${#FAILED[@]} -gt 0 ]]; then
  echo "FAILED: ${FAILED[*]} (logs in $OUT)"
  exit 1
fi
echo "all steps passed (logs in $OUT)"
