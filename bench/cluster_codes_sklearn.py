#!/usr/bin/python3
"""scikit-learn's clusterings of dae's latent codes: the KMeans column of docs/CLUSTERING.md.

For each run folder (the output of `dae_mnist run`, holding codes.npy and labels.npy) this fits
scikit-learn's KMeans exactly as the reference pipeline does (k = 10, k-means++, n_init = 20,
random_state = 0) and, with --gmm, a full-covariance GaussianMixture (k = 10, n_init = 3), one of
the alternatives to the graph recipe that docs/CLUSTERING.md measures. Each fit is scored like
dae_mnist scores its own: accuracy under the reference's greedy reassignment (centre -> nearest
per-digit mean code, a label claimed twice resolved by the nearest unclaimed label) and under
the optimal one-to-one mapping (Hungarian, scipy's linear_sum_assignment), NMI and ARI. Prints
one JSON object per run and method, with the wall seconds of the fit and the load average.

    /usr/bin/python3 bench/cluster_codes_sklearn.py runs/seed0 runs/seed1 runs/seed2 [--gmm]
"""
import argparse
import json
import os
import time

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.mixture import GaussianMixture


def greedy_mapping(centres, class_means):
    """The reference's greedy reassignment, as include/dae/cluster/reassign.hpp states it."""
    dist = np.linalg.norm(centres[:, None, :] - class_means[None, :, :], axis=2)  # (k, classes)
    mapping = dist.argmin(axis=1)
    for _ in range(len(mapping)):
        claims = np.bincount(mapping, minlength=class_means.shape[0])
        contested = np.flatnonzero(claims > 1)
        if contested.size == 0:
            break
        label = contested[0]
        unclaimed = np.flatnonzero(claims == 0)
        best = None
        for c in np.flatnonzero(mapping == label):
            for u in unclaimed:
                if best is None or dist[c, u] < dist[best[0], best[1]]:
                    best = (c, u)
        mapping[best[0]] = best[1]
    return mapping


def scores(codes, labels, assignments, centres):
    k = centres.shape[0]
    table = np.zeros((k, 10), dtype=np.int64)
    np.add.at(table, (assignments, labels), 1)
    rows, cols = linear_sum_assignment(-table)
    class_means = np.stack([codes[labels == y].mean(axis=0) for y in range(10)])
    greedy = greedy_mapping(centres, class_means)
    return {
        "accuracy_greedy": float(np.mean(greedy[assignments] == labels)),
        "accuracy_hungarian": float(table[rows, cols].sum() / len(labels)),
        "nmi": float(normalized_mutual_info_score(labels, assignments)),
        "ari": float(adjusted_rand_score(labels, assignments)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="folders with codes.npy and labels.npy")
    parser.add_argument("--gmm", action="store_true", help="also fit a full-covariance Gaussian mixture")
    args = parser.parse_args()
    for run in args.runs:
        codes = np.load(os.path.join(run, "codes.npy")).astype(np.float64)
        labels = np.load(os.path.join(run, "labels.npy")).astype(np.int64)
        fits = [("sklearn_kmeans", lambda: KMeans(n_clusters=10, init="k-means++", n_init=20, random_state=0))]
        if args.gmm:
            fits.append(("sklearn_gmm_full", lambda: GaussianMixture(n_components=10, covariance_type="full",
                                                                      n_init=3, random_state=0)))
        for name, make in fits:
            start = time.perf_counter()
            model = make().fit(codes)
            assignments = model.predict(codes)
            seconds = time.perf_counter() - start
            centres = model.cluster_centers_ if hasattr(model, "cluster_centers_") else model.means_
            row = {"run": run, "method": name, "seconds": round(seconds, 3),
                   "loadavg": os.getloadavg()[0]}
            row.update(scores(codes, labels, assignments, centres))
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
