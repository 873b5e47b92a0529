#!/usr/bin/python3
"""dae k-means against scikit-learn on the same data, in the same run.

The real case of the pipeline: 48,000 points in 4-D, k = 10, n_init = 20, max_iter 300,
tol 1e-4. The data are 10 moderately overlapping gaussian clusters (centres N(0, 3^2 I), unit
noise), drawn with a seeded numpy Generator and written to a DAEM file that bench_kmeans reads
(DAE_KMEANS_DATA). Both sides run on all cores (threads = 2 here; scikit-learn's OpenMP uses
every core by default). Prints a table with the best-of-repeats wall time and the ratio, and the
load average before and after (other work on the machine slows both sides, OpenMP most).

    /usr/bin/python3 bench/kmeans_vs_sklearn.py --bench build-cluster/bench/bench_kmeans
"""
import argparse
import json
import os
import struct
import subprocess
import tempfile
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True, help="path of the bench_kmeans executable")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n", type=int, default=48000)
    args = parser.parse_args()

    load_before = os.getloadavg()
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 3.0, (10, 4))
    labels = rng.integers(0, 10, args.n)
    points = (centres[labels] + rng.normal(0.0, 1.0, (args.n, 4))).astype(np.float32)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "points.daem")
        with open(path, "wb") as f:
            f.write(b"DAEM" + struct.pack("<III", 0, args.n, 4) + points.astype("<f4").tobytes())
        env = dict(os.environ, DAE_KMEANS_DATA=path)
        out = subprocess.run([args.bench, "--benchmark_format=json", "--benchmark_min_time=1",
                              f"--benchmark_repetitions={args.repeats}",
                              "--benchmark_report_aggregates_only=false"],
                             env=env, check=True, capture_output=True, text=True).stdout
    ours = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        seconds = b["real_time"] / 1e3  # reported in ms
        if name not in ours or seconds < ours[name]["seconds"]:
            ours[name] = {"seconds": seconds, "inertia": b["inertia"], "iterations": b["iterations"]}

    rows = []
    for n_init in (20, 1):
        times, inertia = [], None
        for _ in range(args.repeats):
            start = time.perf_counter()
            km = KMeans(n_clusters=10, n_init=n_init, algorithm="lloyd", random_state=0).fit(points)
            times.append(time.perf_counter() - start)
            inertia = float(km.inertia_)
        rows.append((n_init, min(times), inertia))

    load_after = os.getloadavg()
    print(f"data: {args.n} x 4 float32, 10 gaussian clusters; k = 10; scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}; best of {args.repeats}")
    print(f"load average (1, 5, 15 min): before {' '.join(f'{v:.2f}' for v in load_before)}, "
          f"after {' '.join(f'{v:.2f}' for v in load_after)}")
    print(f"{'case':<28}{'scikit-learn s':>16}{'dae s':>10}{'speed-up':>10}{'inertia sk':>14}{'inertia dae':>14}")
    for n_init, sk_seconds, sk_inertia in rows:
        for threads in (1, 2):
            key = f"BM_KMeans/{n_init}/{threads}/real_time"
            if key not in ours:
                continue
            o = ours[key]
            print(f"{f'n_init {n_init}, dae threads {threads}':<28}{sk_seconds:>16.4f}{o['seconds']:>10.4f}"
                  f"{sk_seconds / o['seconds']:>9.1f}x{sk_inertia:>14.1f}{o['inertia']:>14.1f}")


if __name__ == "__main__":
    main()
