#!/usr/bin/env python3
"""Projects a data-parallel training step of dae onto R machines, from a measured one-machine step.

A model: step(R) = compute / R + communication(R), with communication a ring collective whose
per-rank traffic and latency are those of each scheme below (the usual alpha-beta model:
alpha per message hop, bytes / bandwidth). Three ways to combine the gradients:
  ordered-gather  what dae does now: every rank gathers every chunk's partials and folds them in
                  chunk order (bits of one process); traffic (R-1)/R * chunks * P values.
  slice-owners    the scalable deterministic variant: rank r receives the chunk partials of its
                  slice P/R of the values, folds them in chunk order, then an all-gather of the
                  folded slices; traffic (R-1)/R * P * (chunks / R + 1).
  ring-allreduce  what NCCL / MPI_Allreduce do (not one process's bits: the order of the sum
                  depends on R); traffic 2 (R-1)/R * P.
BatchNorm and the loss add, per sample, 4 doubles per BatchNorm channel and one double, gathered
in every scheme. Prints a Markdown table.

Usage: scaling_projection.py STEP_MS [--params P] [--bn-channels C] [--batch B] [--scale K]
  STEP_MS: the measured one-machine step at batch B; --scale K projects a model K times larger
  (K times the parameters, the BatchNorm channels and, as an assumption, the compute).
"""
import argparse

CHUNK = 16  # dae::detail::kReductionChunk
ALPHA_S = 20e-6  # per ring hop, an assumption for TCP on a LAN


def traffic_bytes(scheme, ranks, params, chunks, per_sample_bytes, batch):
    f = (ranks - 1) / ranks
    bn = f * batch * per_sample_bytes
    if scheme == "ordered-gather":
        return f * chunks * params * 4 + bn
    if scheme == "slice-owners":
        return f * params * 4 * (chunks / ranks + 1) + bn
    return 2 * f * params * 4 + bn


def hops(scheme, ranks):
    # a ring all-gather takes R-1 hops; reduce-scatter + all-gather (slices, allreduce) twice that
    return (ranks - 1) * (1 if scheme == "ordered-gather" else 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("step_ms", type=float)
    parser.add_argument("--params", type=int, default=87045)
    parser.add_argument("--bn-channels", type=int, default=40)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    params = int(args.params * args.scale)
    per_sample = (4 * args.bn_channels * args.scale + 1) * 8
    compute = args.step_ms / 1e3 * args.scale
    print(f"P = {params:,} gradient values, one-machine step {compute * 1e3:.2f} ms, "
          f"global batch {args.batch}")
    print()
    print("| machines | link | scheme | bytes in per rank per step | step (ms) | speed-up |")
    print("|---:|---|---|---:|---:|---:|")
    for ranks in (2, 4, 8, 16, 64):
        batch = max(args.batch, CHUNK * ranks)  # every rank needs a chunk
        chunks = -(-batch // CHUNK)
        step_compute = compute * batch / args.batch / ranks
        for gbit in (10, 100):
            for scheme in ("ordered-gather", "slice-owners", "ring-allreduce"):
                moved = traffic_bytes(scheme, ranks, params, chunks, per_sample, batch)
                step = step_compute + moved / (gbit * 1e9 / 8) + hops(scheme, ranks) * ALPHA_S
                one_machine = compute * batch / args.batch
                print(f"| {ranks} | {gbit} Gbit/s | {scheme} | {moved / 1e6:.2f} MB | "
                      f"{step * 1e3:.2f} | {one_machine / step:.2f}x |")


if __name__ == "__main__":
    main()
