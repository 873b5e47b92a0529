// The whole clustering step of the pipeline in one call: a clustering of the codes (Lloyd
// k-means, the reference, or the graph recipe of graph.hpp), the per-class mean codes, the raw /
// greedy / Hungarian / majority mappings, their accuracies, NMI, ARI and the contingency table.
// ClusterScores is what both methods are judged by, computed the same way from their labels and
// cluster centres; ClusterReport and GraphReport add the method's own result. Each piece is
// also available on its own in kmeans.hpp, graph.hpp, reassign.hpp and metrics.hpp.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dae/cluster/graph.hpp"
#include "dae/cluster/kmeans.hpp"
#include "dae/cluster/metrics.hpp"
#include "dae/cluster/reassign.hpp"

namespace dae::cluster {

/// The scores of one clustering against the true classes.
struct ClusterScores {
  std::vector<double> class_means;  ///< (n_classes, dim) per-class mean codes
  CountMatrix contingency;          ///< (k, n_classes): rows clusters, columns true classes
  /// Whether the one-to-one mappings (greedy, Hungarian) exist: they need k <= n_classes. When
  /// false, `greedy` and `hungarian` are empty, their accuracies 0, and `notes` says why.
  bool one_to_one = true;
  Mapping greedy;                   ///< the reference's greedy reassignment (one-to-one)
  Mapping hungarian;                ///< the optimal one-to-one mapping
  Mapping majority;                 ///< majority vote (not one-to-one); works for any k
  double accuracy_raw = 0.0;        ///< cluster id taken as the class
  double accuracy_greedy = 0.0;
  double accuracy_hungarian = 0.0;
  double accuracy_majority = 0.0;
  double nmi = 0.0;                 ///< normalised mutual information (arithmetic mean)
  double ari = 0.0;                 ///< adjusted Rand index
  std::vector<std::string> notes;   ///< what could not be computed, and why
  /// (n_classes, n_classes) rows true classes, columns predicted under the greedy mapping.
  /// @pre one_to_one
  [[nodiscard]] CountMatrix confusion_greedy() const { return confusion_matrix(contingency, greedy); }
  /// The same under the Hungarian mapping. @pre one_to_one
  [[nodiscard]] CountMatrix confusion_hungarian() const { return confusion_matrix(contingency, hungarian); }
  /// The same under the majority mapping (any k).
  [[nodiscard]] CountMatrix confusion_majority() const { return confusion_matrix(contingency, majority); }
};

/// Everything the k-means clustering step reports.
struct ClusterReport : ClusterScores {
  KMeansResult kmeans;  ///< centres, labels (assignments), inertia, iterations, warnings
};

/// Everything the graph clustering step reports.
struct GraphReport : ClusterScores {
  GraphClusterResult graph;  ///< labels (assignments), cluster means, modularity, restarts, warnings
};

/// Scores a clustering against the true classes: mappings, accuracies, NMI, ARI.
///
/// @param points    (N, dim) row-major codes (for the per-class means)
/// @param dim       dimension, >= 1
/// @param clusters  (N) cluster of each point, in [0, k)
/// @param centres   (k, dim) row-major cluster centres (the greedy rule compares them with the
///                  class means)
/// @param k         number of clusters, >= 1
/// @param classes   (N) true class of each point, in [0, n_classes)
/// @param n_classes number of classes, >= 1
/// @return          the scores; with k > n_classes only the majority mapping (see one_to_one)
/// @pre  sizes agree, labels and classes in range, every class has a point; otherwise dae::Error
[[nodiscard]] inline ClusterScores score_clusters(std::span<const float> points, int dim, std::span<const int> clusters,
                                                  std::span<const double> centres, int k, std::span<const int> classes,
                                                  int n_classes) {
  ClusterScores s;
  s.class_means = class_means(points, dim, classes, n_classes);  // checks sizes and classes first
  s.contingency = contingency(clusters, k, classes, n_classes);
  s.one_to_one = k <= n_classes;
  if (s.one_to_one) {
    s.greedy = greedy_mapping(centres, s.class_means, dim);
    s.hungarian = hungarian_mapping(s.contingency);
    s.accuracy_greedy = accuracy(s.contingency, s.greedy);
    s.accuracy_hungarian = accuracy(s.contingency, s.hungarian);
  } else {
    s.notes.push_back("the greedy and Hungarian mappings are one-to-one and need k <= " + std::to_string(n_classes) +
                      " (the number of classes); with k = " + std::to_string(k) +
                      " only the majority mapping is scored");
  }
  s.majority = majority_mapping(s.contingency);
  s.accuracy_raw = accuracy(s.contingency, identity_mapping(k));
  s.accuracy_majority = accuracy(s.contingency, s.majority);
  s.nmi = normalized_mutual_info(classes, clusters);
  s.ari = adjusted_rand_index(classes, clusters);
  return s;
}

/// Clusters `points` with k-means and scores the clusters against `classes`.
///
/// @param points    (N, dim) row-major codes, finite
/// @param dim       dimension, >= 1
/// @param classes   (N) true class of each point, in [0, n_classes)
/// @param n_classes number of classes (with options.k > n_classes only the majority mapping)
/// @param options   k-means options (k, n_init, max_iter, tol, seed, threads)
/// @return          the k-means result, mappings and scores
/// @pre  as kmeans() and class_means(); otherwise dae::Error
[[nodiscard]] inline ClusterReport cluster_and_score(std::span<const float> points, int dim,
                                                     std::span<const int> classes, int n_classes,
                                                     const KMeansOptions& options) {
  (void)class_means(points, dim, classes, n_classes);  // bad labels are reported before clustering
  ClusterReport r;
  r.kmeans = kmeans(points, dim, options);
  static_cast<ClusterScores&>(r) =
      score_clusters(points, dim, r.kmeans.labels, r.kmeans.centres, r.kmeans.k, classes, n_classes);
  return r;
}

/// Clusters `points` with the graph recipe (graph.hpp) and scores the clusters against `classes`.
///
/// @param points    (N, dim) row-major codes, finite
/// @param dim       dimension, >= 1
/// @param classes   (N) true class of each point, in [0, n_classes), used only for scoring
/// @param n_classes number of classes (with options.k > n_classes only the majority mapping)
/// @param options   graph clustering options (k, neighbours, micro-clusters, restarts, seed, threads)
/// @return          the graph clustering result, mappings and scores
/// @pre  as graph_cluster() and class_means(); otherwise dae::Error
[[nodiscard]] inline GraphReport graph_cluster_and_score(std::span<const float> points, int dim,
                                                         std::span<const int> classes, int n_classes,
                                                         const GraphClusterOptions& options) {
  (void)class_means(points, dim, classes, n_classes);
  GraphReport r;
  r.graph = graph_cluster(points, dim, options);
  static_cast<ClusterScores&>(r) =
      score_clusters(points, dim, r.graph.labels, r.graph.centres, r.graph.k, classes, n_classes);
  return r;
}

}  // namespace dae::cluster
