// The whole clustering step of the reference pipeline in one call: k-means on the codes, the
// per-class mean codes, the raw / greedy / Hungarian / majority mappings, their accuracies, NMI,
// ARI and the contingency table. ClusterReport holds everything `dae_mnist cluster` writes to
// clusters.json (and the labels for assignments.npy); each piece is also available on its own
// in kmeans.hpp, reassign.hpp and metrics.hpp.
#pragma once

#include <span>
#include <vector>

#include "dae/cluster/kmeans.hpp"
#include "dae/cluster/metrics.hpp"
#include "dae/cluster/reassign.hpp"

namespace dae::cluster {

/// Everything the clustering step reports.
struct ClusterReport {
  KMeansResult kmeans;              ///< centres, labels (assignments), inertia, iterations, warnings
  std::vector<double> class_means;  ///< (n_classes, dim) per-class mean codes
  CountMatrix contingency;          ///< (k, n_classes): rows clusters, columns true classes
  Mapping greedy;                   ///< the reference's greedy reassignment (one-to-one)
  Mapping hungarian;                ///< the optimal one-to-one mapping
  Mapping majority;                 ///< majority vote (not one-to-one)
  double accuracy_raw = 0.0;        ///< cluster id taken as the class
  double accuracy_greedy = 0.0;
  double accuracy_hungarian = 0.0;
  double accuracy_majority = 0.0;
  double nmi = 0.0;                 ///< normalised mutual information (arithmetic mean)
  double ari = 0.0;                 ///< adjusted Rand index
  /// (n_classes, n_classes) rows true classes, columns predicted under the greedy mapping.
  [[nodiscard]] CountMatrix confusion_greedy() const { return confusion_matrix(contingency, greedy); }
  /// The same under the Hungarian mapping.
  [[nodiscard]] CountMatrix confusion_hungarian() const { return confusion_matrix(contingency, hungarian); }
};

/// Clusters `points` with k-means and scores the clusters against `classes`.
///
/// @param points    (N, dim) row-major codes, finite
/// @param dim       dimension, >= 1
/// @param classes   (N) true class of each point, in [0, n_classes)
/// @param n_classes number of classes, >= options.k (the greedy mapping is one-to-one)
/// @param options   k-means options (k, n_init, max_iter, tol, seed, threads)
/// @return          the k-means result, mappings and scores
/// @pre  as kmeans(), class_means() and greedy_mapping(); otherwise dae::Error
[[nodiscard]] inline ClusterReport cluster_and_score(std::span<const float> points, int dim,
                                                     std::span<const int> classes, int n_classes,
                                                     const KMeansOptions& options) {
  ClusterReport r;
  r.class_means = class_means(points, dim, classes, n_classes);  // checks sizes and classes first
  r.kmeans = kmeans(points, dim, options);
  r.contingency = contingency(r.kmeans.labels, r.kmeans.k, classes, n_classes);
  r.greedy = greedy_mapping(r.kmeans.centres, r.class_means, dim);
  r.hungarian = hungarian_mapping(r.contingency);
  r.majority = majority_mapping(r.contingency);
  r.accuracy_raw = accuracy(r.contingency, identity_mapping(r.kmeans.k));
  r.accuracy_greedy = accuracy(r.contingency, r.greedy);
  r.accuracy_hungarian = accuracy(r.contingency, r.hungarian);
  r.accuracy_majority = accuracy(r.contingency, r.majority);
  r.nmi = normalized_mutual_info(classes, r.kmeans.labels);
  r.ari = adjusted_rand_index(classes, r.kmeans.labels);
  return r;
}

}  // namespace dae::cluster
