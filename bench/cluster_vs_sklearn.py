#!/usr/bin/python3
"""The whole `dae_mnist cluster` process against scikit-learn's KMeans.fit alone, on real codes.

Issue 11's k-means target, measured as it states it: the 48,000 x 4 latent codes of a trained
model (codes.npy and labels.npy of a `dae_mnist run` folder), k = 10, n_init = 20,
max_iter = 10000, the reference's settings. dae's time is the wall time of the whole command
(start-up, reading the two .npy files, k-means, scoring, writing assignments, the confusion
picture and clusters.json), scikit-learn's the `fit` call alone (import and loading excluded),
so the comparison favours scikit-learn. Single-restart fits (n_init 1) are timed too: they are
the case that used to collapse under load (one fork/join per Lloyd iteration waiting for a
descheduled thread). Everything runs quiet, then again beside one busy neighbour process that
this script starts and stops itself. Each figure is the best of --repeats runs, and the spread
(worst) is printed beside it; the load average before and after each part.

    /usr/bin/python3 bench/cluster_vs_sklearn.py --dae build/examples/dae_mnist/dae_mnist --run runs/seed0
"""
import argparse
import os
import subprocess
import tempfile
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def time_dae(dae, run, n_init, repeats, work):
    seconds = []
    for i in range(repeats):
        out = os.path.join(work, f"dae-{n_init}-{i}")
        start = time.perf_counter()
        subprocess.run([dae, "cluster", "--codes", os.path.join(run, "codes.npy"), "--labels",
                        os.path.join(run, "labels.npy"), "--n-init", str(n_init), "--max-iter", "10000",
                        "--out", out], check=True, stdout=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - start)
    return seconds


def time_sklearn(codes, n_init, repeats):
    seconds = []
    for i in range(repeats):
        model = KMeans(n_clusters=10, n_init=n_init, max_iter=10000, random_state=i, algorithm="lloyd")
        start = time.perf_counter()
        model.fit(codes)
        seconds.append(time.perf_counter() - start)
    return seconds


def part(args, codes, work, label):
    print(f"load {load()} (before the {label} part)", flush=True)
    rows = []
    for n_init in (20, 1):
        repeats = args.repeats if n_init == 20 else 3 * args.repeats
        dae = time_dae(args.dae, args.run, n_init, repeats, work)
        sk = time_sklearn(codes, n_init, repeats)
        rows.append((f"n_init {n_init}, {label}", min(dae), max(dae), min(sk), max(sk)))
    print(f"load {load()} (after the {label} part)", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dae", required=True, help="the dae_mnist executable")
    parser.add_argument("--run", required=True, help="a dae_mnist run folder with codes.npy and labels.npy")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    codes = np.load(os.path.join(args.run, "codes.npy")).astype(np.float32)
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"scikit-learn {sklearn.__version__}, codes {codes.shape} from {args.run}")
    with tempfile.TemporaryDirectory() as work:
        rows = part(args, codes, work, "quiet")
        busy = subprocess.Popen(["bash", "-c", "while :; do :; done"])
        try:
            rows += part(args, codes, work, "1 busy")
        finally:
            busy.kill()
            busy.wait()
    print()
    print("| case | dae whole command, best / worst (s) | scikit-learn fit, best / worst (s) | best / best | worst / worst |")
    print("|---|---:|---:|---:|---:|")
    for name, dae_best, dae_worst, sk_best, sk_worst in rows:
        print(f"| {name} | {dae_best:.3f} / {dae_worst:.3f} | {sk_best:.3f} / {sk_worst:.3f} | "
              f"{sk_best / dae_best:.1f}x | {sk_worst / dae_worst:.1f}x |")


if __name__ == "__main__":
    main()
