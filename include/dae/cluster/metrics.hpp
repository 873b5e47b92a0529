// Scores of a clustering against true class labels: the contingency table (cluster x class
// counts), the confusion matrix under a cluster-to-class mapping, accuracy under a mapping,
// normalised mutual information (arithmetic-mean normalisation, scikit-learn's default) and the
// adjusted Rand index.
//
// Labels are small non-negative integers (cluster ids in [0, k), classes in [0, n_classes)), as
// k-means and MNIST produce them; NMI and ARI depend only on the partition, so they accept any
// non-negative ids. Every count is an exact integer and every score is formed in double (ARI's
// pair counts in long double, since for N = 48,000 their products pass 2^63), which keeps them
// equal to scikit-learn's to about 1e-15.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "dae/error.hpp"

namespace dae::cluster {

/// A cluster-to-class mapping: mapping[c] is the class given to cluster c, or -1 for none.
using Mapping = std::vector<int>;

/// A dense matrix of counts, row-major.
struct CountMatrix {
  int rows = 0;
  int cols = 0;
  std::vector<std::int64_t> counts;  ///< (rows, cols) row-major

  /// The count at (row, col). @pre 0 <= row < rows, 0 <= col < cols
  [[nodiscard]] std::int64_t operator()(int row, int col) const {
    return counts[static_cast<std::size_t>(row) * static_cast<std::size_t>(cols) +
                  static_cast<std::size_t>(col)];
  }
  /// Sum of all counts.
  [[nodiscard]] std::int64_t total() const {
    std::int64_t sum = 0;
    for (const auto v : counts) sum += v;
    return sum;
  }
};

namespace detail {

inline void check_same_size(std::span<const int> a, std::span<const int> b, const char* what) {
  if (a.size() != b.size())
    throw Error(std::string(what) + ": the two labelings have different lengths (" +
                std::to_string(a.size()) + " and " + std::to_string(b.size()) + ")");
}

inline void check_range(std::span<const int> labels, int bound, const char* what, const char* name) {
  if (bound <= 0) throw Error(std::string(what) + ": the number of " + name + " must be at least 1");
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= bound)
      throw Error(std::string(what) + ": " + name + " label " + std::to_string(labels[i]) + " at index " +
                  std::to_string(i) + " is outside [0, " + std::to_string(bound) + ")");
}

/// Contingency table of two labelings of non-negative ids, sized by their largest ids.
inline CountMatrix contingency_any(std::span<const int> a, std::span<const int> b, const char* what) {
  check_same_size(a, b, what);
  int rows = 0, cols = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] < 0 || b[i] < 0)
      throw Error(std::string(what) + ": negative label at index " + std::to_string(i));
    rows = std::max(rows, a[i] + 1);
    cols = std::max(cols, b[i] + 1);
  }
  CountMatrix m{rows, cols, std::vector<std::int64_t>(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))};
  for (std::size_t i = 0; i < a.size(); ++i)
    ++m.counts[static_cast<std::size_t>(a[i]) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(b[i])];
  return m;
}

}  // namespace detail

/// The contingency table of a clustering: counts(c, y) = number of points in cluster c of class y.
///
/// @param clusters   (N) cluster ids in [0, n_clusters)
/// @param n_clusters number of clusters k, >= 1
/// @param classes    (N) true classes in [0, n_classes)
/// @param n_classes  number of classes, >= 1
/// @return           (n_clusters, n_classes) counts; rows are clusters, columns are classes
/// @pre  equal lengths and labels in range; otherwise dae::Error
[[nodiscard]] inline CountMatrix contingency(std::span<const int> clusters, int n_clusters,
                                             std::span<const int> classes, int n_classes) {
  detail::check_same_size(clusters, classes, "contingency");
  detail::check_range(clusters, n_clusters, "contingency", "cluster");
  detail::check_range(classes, n_classes, "contingency", "class");
  CountMatrix m{n_clusters, n_classes,
                std::vector<std::int64_t>(static_cast<std::size_t>(n_clusters) * static_cast<std::size_t>(n_classes))};
  for (std::size_t i = 0; i < clusters.size(); ++i)
    ++m.counts[static_cast<std::size_t>(clusters[i]) * static_cast<std::size_t>(n_classes) +
               static_cast<std::size_t>(classes[i])];
  return m;
}

/// The confusion matrix of the predicted classes `mapping[cluster]` against the true classes:
/// rows are true classes, columns predicted classes (scikit-learn's confusion_matrix layout).
/// Points of a cluster mapped to -1 are counted in no column.
///
/// @param table   contingency(clusters, k, classes, n_classes)
/// @param mapping (k) class of each cluster, in [0, n_classes) or -1
/// @return        (n_classes, n_classes) counts
/// @pre  mapping.size() == table.rows, entries in range; otherwise dae::Error
[[nodiscard]] inline CountMatrix confusion_matrix(const CountMatrix& table, const Mapping& mapping) {
  if (static_cast<int>(mapping.size()) != table.rows)
    throw Error("confusion_matrix: the mapping has " + std::to_string(mapping.size()) +
                " entries for " + std::to_string(table.rows) + " clusters");
  CountMatrix m{table.cols, table.cols,
                std::vector<std::int64_t>(static_cast<std::size_t>(table.cols) * static_cast<std::size_t>(table.cols))};
  for (int c = 0; c < table.rows; ++c) {
    const int predicted = mapping[static_cast<std::size_t>(c)];
    if (predicted < -1 || predicted >= table.cols)
      throw Error("confusion_matrix: mapping[" + std::to_string(c) + "] = " + std::to_string(predicted) +
                  " is not a class or -1");
    if (predicted < 0) continue;
    for (int y = 0; y < table.cols; ++y)
      m.counts[static_cast<std::size_t>(y) * static_cast<std::size_t>(table.cols) + static_cast<std::size_t>(predicted)] +=
          table(c, y);
  }
  return m;
}

/// The mapping that keeps cluster ids as they are (cluster c predicts class c): the "raw" accuracy.
[[nodiscard]] inline Mapping identity_mapping(int k) {
  Mapping m(static_cast<std::size_t>(std::max(k, 0)));
  for (int c = 0; c < k; ++c) m[static_cast<std::size_t>(c)] = c;
  return m;
}

/// Fraction of points whose cluster maps to their true class.
///
/// @param table   contingency(clusters, k, classes, n_classes)
/// @param mapping (k) class of each cluster, or -1 (never correct); classes beyond n_classes
///                are never correct either
/// @return        accuracy in [0, 1]
/// @pre  mapping.size() == table.rows and the table holds at least one point; else dae::Error
[[nodiscard]] inline double accuracy(const CountMatrix& table, const Mapping& mapping) {
  if (static_cast<int>(mapping.size()) != table.rows)
    throw Error("accuracy: the mapping has " + std::to_string(mapping.size()) + " entries for " +
                std::to_string(table.rows) + " clusters");
  const std::int64_t total = table.total();
  if (total == 0) throw Error("accuracy: no points");
  std::int64_t correct = 0;
  for (int c = 0; c < table.rows; ++c) {
    const int y = mapping[static_cast<std::size_t>(c)];
    if (y >= 0 && y < table.cols) correct += table(c, y);
  }
  return static_cast<double>(correct) / static_cast<double>(total);
}

/// Accuracy straight from the labels: the fraction of i with mapping[clusters[i]] == classes[i].
///
/// @param clusters (N) cluster ids in [0, mapping.size())
/// @param classes  (N) true classes, >= 0
/// @param mapping  class of each cluster, or -1
/// @return         accuracy in [0, 1]
/// @pre  equal non-zero lengths, ids in range; otherwise dae::Error
[[nodiscard]] inline double accuracy(std::span<const int> clusters, std::span<const int> classes,
                                     const Mapping& mapping) {
  detail::check_same_size(clusters, classes, "accuracy");
  if (clusters.empty()) throw Error("accuracy: no points");
  detail::check_range(clusters, static_cast<int>(mapping.size()), "accuracy", "cluster");
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < clusters.size(); ++i)
    correct += mapping[static_cast<std::size_t>(clusters[i])] == classes[i];
  return static_cast<double>(correct) / static_cast<double>(clusters.size());
}

/// Normalised mutual information with arithmetic-mean normalisation, MI / ((H(a) + H(b)) / 2):
/// scikit-learn's normalized_mutual_info_score default. Symmetric; 1 when both labelings are a
/// single cluster (as scikit-learn).
///
/// @param a (N) one labeling, non-negative ids
/// @param b (N) the other labeling, non-negative ids
/// @return  NMI in [0, 1]
/// @pre  equal non-zero lengths, no negative ids; otherwise dae::Error
[[nodiscard]] inline double normalized_mutual_info(std::span<const int> a, std::span<const int> b) {
  if (a.empty()) throw Error("normalized_mutual_info: no points");
  const CountMatrix m = detail::contingency_any(a, b, "normalized_mutual_info");
  const double n = static_cast<double>(a.size());
  std::vector<std::int64_t> row(static_cast<std::size_t>(m.rows)), col(static_cast<std::size_t>(m.cols));
  for (int i = 0; i < m.rows; ++i)
    for (int j = 0; j < m.cols; ++j) {
      row[static_cast<std::size_t>(i)] += m(i, j);
      col[static_cast<std::size_t>(j)] += m(i, j);
    }
  auto entropy = [n](const std::vector<std::int64_t>& counts, int& used) {
    double h = 0.0;
    used = 0;
    for (const auto v : counts)
      if (v > 0) {
        ++used;
        const double p = static_cast<double>(v) / n;
        h -= p * std::log(p);
      }
    return h;
  };
  int used_a = 0, used_b = 0;
  const double ha = entropy(row, used_a), hb = entropy(col, used_b);
  if (used_a == 1 && used_b == 1) return 1.0;  // both a single cluster: identical partitions
  if (used_a == 1 || used_b == 1) return 0.0;  // one partition carries no information
  double mi = 0.0;
  for (int i = 0; i < m.rows; ++i)
    for (int j = 0; j < m.cols; ++j) {
      const auto v = m(i, j);
      if (v == 0) continue;
      const double nij = static_cast<double>(v);
      mi += nij / n *
            (std::log(nij) + std::log(n) - std::log(static_cast<double>(row[static_cast<std::size_t>(i)])) -
             std::log(static_cast<double>(col[static_cast<std::size_t>(j)])));
    }
  mi = std::max(mi, 0.0);
  const double normaliser = std::max((ha + hb) / 2.0, std::numeric_limits<double>::epsilon());
  return mi / normaliser;
}

/// Adjusted Rand index (Hubert & Arabie 1985), as scikit-learn's adjusted_rand_score: from the
/// pair counts, 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)); 1 when no pair
/// disagrees.
///
/// @param a (N) one labeling, non-negative ids
/// @param b (N) the other labeling, non-negative ids
/// @return  ARI in [-1, 1] (1 for identical partitions, about 0 for independent ones)
/// @pre  equal non-zero lengths, no negative ids; otherwise dae::Error
[[nodiscard]] inline double adjusted_rand_index(std::span<const int> a, std::span<const int> b) {
  if (a.empty()) throw Error("adjusted_rand_index: no points");
  const CountMatrix m = detail::contingency_any(a, b, "adjusted_rand_index");
  const auto n = static_cast<std::int64_t>(a.size());
  std::vector<std::int64_t> row(static_cast<std::size_t>(m.rows)), col(static_cast<std::size_t>(m.cols));
  std::int64_t sum_squares = 0;
  for (int i = 0; i < m.rows; ++i)
    for (int j = 0; j < m.cols; ++j) {
      const auto v = m(i, j);
      row[static_cast<std::size_t>(i)] += v;
      col[static_cast<std::size_t>(j)] += v;
      sum_squares += v * v;
    }
  std::int64_t row_squares = 0, col_squares = 0;
  for (const auto v : row) row_squares += v * v;
  for (const auto v : col) col_squares += v * v;
  // Ordered pair counts, as scikit-learn's pair_confusion_matrix (all exact in int64 for N < 3e9).
  const std::int64_t tp = sum_squares - n;
  const std::int64_t fp = row_squares - sum_squares;  // same cluster of a, different of b
  const std::int64_t fn = col_squares - sum_squares;
  const std::int64_t tn = n * n - fp - fn - sum_squares;
  if (fn == 0 && fp == 0) return 1.0;
  using Wide = long double;
  const Wide numerator = 2.0L * (Wide(tp) * Wide(tn) - Wide(fn) * Wide(fp));
  const Wide denominator = (Wide(tp) + Wide(fn)) * (Wide(fn) + Wide(tn)) + (Wide(tp) + Wide(fp)) * (Wide(fp) + Wide(tn));
  return static_cast<double>(numerator / denominator);
}

}  // namespace dae::cluster
