// Mapping k-means clusters to class labels, three ways:
//   - greedy_mapping: the reference pipeline's rule. Each centre takes the class whose per-class
//     mean code is nearest; while a class is claimed twice, one of its claimants moves to the
//     nearest unclaimed class. Always ends one-to-one (proof below).
//   - hungarian_mapping: the one-to-one mapping with the most correctly labelled points, by our
//     own O(n^3) Hungarian algorithm (linear_sum_assignment, usable on any cost matrix).
//   - majority_mapping: each cluster takes its most frequent class (not one-to-one).
// plus class_means, the per-class mean codes the greedy rule compares centres with.
//
// A mapping is a std::vector<int> (see metrics.hpp): mapping[cluster] = class. Ties are always
// broken towards the lower index, so every function here is deterministic.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "dae/cluster/metrics.hpp"
#include "dae/error.hpp"

namespace dae::cluster {

/// The mean point of each class (for the pipeline: the per-digit mean latent code).
///
/// @param points    (N, dim) row-major coordinates
/// @param dim       dimension, >= 1
/// @param classes   (N) class of each point, in [0, n_classes)
/// @param n_classes number of classes, >= 1
/// @return          (n_classes, dim) row-major means, accumulated in double
/// @pre  sizes agree, classes in range, every class has at least one point; otherwise dae::Error
[[nodiscard]] inline std::vector<double> class_means(std::span<const float> points, int dim,
                                                     std::span<const int> classes, int n_classes) {
  if (dim <= 0) throw Error("class_means: dimension " + std::to_string(dim) + " must be at least 1");
  const auto udim = static_cast<std::size_t>(dim);
  if (points.size() != classes.size() * udim)
    throw Error("class_means: " + std::to_string(points.size()) + " coordinates for " +
                std::to_string(classes.size()) + " labels of dimension " + std::to_string(dim));
  detail::check_range(classes, n_classes, "class_means", "class");
  std::vector<double> means(static_cast<std::size_t>(n_classes) * udim, 0.0);
  std::vector<std::int64_t> count(static_cast<std::size_t>(n_classes), 0);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const auto y = static_cast<std::size_t>(classes[i]);
    ++count[y];
    for (std::size_t d = 0; d < udim; ++d) means[y * udim + d] += points[i * udim + d];
  }
  for (std::size_t y = 0; y < count.size(); ++y) {
    if (count[y] == 0) throw Error("class_means: class " + std::to_string(y) + " has no points");
    for (std::size_t d = 0; d < udim; ++d) means[y * udim + d] /= static_cast<double>(count[y]);
  }
  return means;
}

/// The reference's greedy reassignment, on a (k, n_classes) matrix of centre-to-class-mean
/// distances (any monotone distance gives the same result).
///
/// 1. Each centre c claims its nearest class, argmin_y distance(c, y).
/// 2. While some class L is claimed by two or more centres (the lowest such L first): among
///    L's claimants and the unclaimed classes U, the pair (c, u) with the smallest distance(c, u)
///    is taken, and c moves to u; the other claimant(s) keep L. With exactly two claimants, as in
///    the reference, this is "the one of the two that is closer to the nearest unclaimed label
///    takes that label and the other keeps the contested one".
///
/// Termination and one-to-one result: k <= n_classes, so while any class is claimed twice fewer
/// than k <= n_classes classes are claimed and U is not empty; the step is always possible. Each
/// step moves one centre from a class that keeps at least one claimant to a class that had none,
/// so the number of distinct claimed classes rises by exactly one. It starts at >= 1 and cannot
/// pass k, so there are at most k - 1 steps; when they stop, no class is claimed twice, i.e. the
/// k centres hold k distinct classes.
///
/// @param distances (k, n_classes) row-major, finite
/// @param k         number of centres, >= 1
/// @param n_classes number of classes, >= k
/// @return          (k) one-to-one mapping, centre -> class
/// @pre  distances.size() == k * n_classes, 1 <= k <= n_classes, all finite; else dae::Error
/// @post the entries of the mapping are distinct and in [0, n_classes)
[[nodiscard]] inline Mapping greedy_mapping_from_distances(std::span<const double> distances, int k,
                                                           int n_classes) {
  if (k <= 0 || n_classes < k)
    throw Error("greedy_mapping: needs 1 <= k <= n_classes for a one-to-one mapping, got k = " +
                std::to_string(k) + ", n_classes = " + std::to_string(n_classes));
  const auto kk = static_cast<std::size_t>(k), nc = static_cast<std::size_t>(n_classes);
  if (distances.size() != kk * nc)
    throw Error("greedy_mapping: " + std::to_string(distances.size()) + " distances for " +
                std::to_string(k) + " x " + std::to_string(n_classes));
  for (const double v : distances)
    if (!std::isfinite(v)) throw Error("greedy_mapping: a distance is NaN or infinite");
  auto dist = [&](std::size_t c, std::size_t y) { return distances[c * nc + y]; };
  Mapping mapping(kk);
  for (std::size_t c = 0; c < kk; ++c) {
    std::size_t best = 0;
    for (std::size_t y = 1; y < nc; ++y)
      if (dist(c, y) < dist(c, best)) best = y;
    mapping[c] = static_cast<int>(best);
  }
  for (int step = 0; step < k; ++step) {  // at most k - 1 steps are needed (see above)
    std::vector<int> claims(nc, 0);
    for (const int y : mapping) ++claims[static_cast<std::size_t>(y)];
    const auto contested = std::find_if(claims.begin(), claims.end(), [](int n) { return n > 1; });
    if (contested == claims.end()) return mapping;
    const int label = static_cast<int>(contested - claims.begin());
    std::size_t mover = kk, target = nc;
    for (std::size_t c = 0; c < kk; ++c) {
      if (mapping[c] != label) continue;
      for (std::size_t u = 0; u < nc; ++u)
        if (claims[u] == 0 && (mover == kk || dist(c, u) < dist(mover, target))) {
          mover = c;
          target = u;
        }
    }
    mapping[mover] = static_cast<int>(target);
  }
  return mapping;  // unreachable by the argument above; kept for the compiler
}

/// The reference's greedy reassignment from k-means centres and per-class means, by Euclidean
/// distance (see greedy_mapping_from_distances for the rule and its proof).
///
/// @param centres     (k, dim) row-major, e.g. KMeansResult::centres
/// @param class_means (n_classes, dim) row-major, e.g. from class_means()
/// @param dim         dimension, >= 1
/// @return            (k) one-to-one mapping, centre -> class
/// @pre  sizes are multiples of dim, 1 <= k <= n_classes; otherwise dae::Error
[[nodiscard]] inline Mapping greedy_mapping(std::span<const double> centres,
                                            std::span<const double> class_means, int dim) {
  if (dim <= 0) throw Error("greedy_mapping: dimension " + std::to_string(dim) + " must be at least 1");
  const auto udim = static_cast<std::size_t>(dim);
  if (centres.size() % udim != 0 || class_means.size() % udim != 0)
    throw Error("greedy_mapping: centres and class means must be whole " + std::to_string(dim) +
                "-dimensional points");
  const std::size_t k = centres.size() / udim, n = class_means.size() / udim;
  std::vector<double> distances(k * n);
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t y = 0; y < n; ++y) {
      double sum = 0.0;
      for (std::size_t d = 0; d < udim; ++d) {
        const double diff = centres[c * udim + d] - class_means[y * udim + d];
        sum += diff * diff;
      }
      distances[c * n + y] = std::sqrt(sum);
    }
  return greedy_mapping_from_distances(distances, static_cast<int>(k), static_cast<int>(n));
}

/// The solution of a linear assignment problem.
struct Assignment {
  std::vector<int> col_of_row;  ///< (rows) the column given to each row, or -1 (rows > cols)
  double total = 0.0;           ///< sum of the chosen costs
};

/// Minimum- (or maximum-) cost assignment of rows to columns, each used at most once, with
/// min(rows, cols) pairs: the problem of scipy.optimize.linear_sum_assignment. Our own Hungarian
/// algorithm in its shortest-augmenting-path form with row and column potentials (Kuhn 1955,
/// Munkres 1957; Jonker-Volgenant style), O(rows^2 cols).
///
/// @param cost     (rows, cols) row-major, finite
/// @param rows     number of rows, >= 1
/// @param cols     number of columns, >= 1
/// @param maximize find the maximum-cost assignment instead
/// @return         the column of each row (-1 for rows left out when rows > cols) and the total
/// @pre  cost.size() == rows * cols, all finite; otherwise dae::Error
/// @post the total is optimal; the chosen columns are distinct
[[nodiscard]] inline Assignment linear_sum_assignment(std::span<const double> cost, int rows, int cols,
                                                      bool maximize = false) {
  if (rows <= 0 || cols <= 0)
    throw Error("linear_sum_assignment: empty " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix");
  if (cost.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
    throw Error("linear_sum_assignment: " + std::to_string(cost.size()) + " costs for " +
                std::to_string(rows) + " x " + std::to_string(cols));
  for (const double v : cost)
    if (!std::isfinite(v)) throw Error("linear_sum_assignment: a cost is NaN or infinite");
  // Work on an n x m matrix with n <= m (transposed if needed), minimising.
  const bool transpose = rows > cols;
  const int n = transpose ? cols : rows, m = transpose ? rows : cols;
  auto a = [&](int i, int j) {  // 0-based, in the n x m view
    const double v = transpose ? cost[static_cast<std::size_t>(j) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(i)]
                               : cost[static_cast<std::size_t>(i) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(j)];
    return maximize ? -v : v;
  };
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based potentials u (rows), v (columns); p[j] = row matched to column j (0 = none);
  // column 0 is a virtual start column.
  std::vector<double> u(static_cast<std::size_t>(n) + 1, 0.0), v(static_cast<std::size_t>(m) + 1, 0.0);
  std::vector<int> p(static_cast<std::size_t>(m) + 1, 0), way(static_cast<std::size_t>(m) + 1, 0);
  for (int i = 1; i <= n; ++i) {
    // Add row i: grow a shortest-path tree over columns (Dijkstra on reduced costs) until it
    // reaches a free column, then flip the matching along the path.
    p[0] = i;
    int j0 = 0;
    std::vector<double> minv(static_cast<std::size_t>(m) + 1, inf);
    std::vector<char> used(static_cast<std::size_t>(m) + 1, 0);
    do {
      used[static_cast<std::size_t>(j0)] = 1;
      const int i0 = p[static_cast<std::size_t>(j0)];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[static_cast<std::size_t>(j)]) continue;
        const double reduced = a(i0 - 1, j - 1) - u[static_cast<std::size_t>(i0)] - v[static_cast<std::size_t>(j)];
        if (reduced < minv[static_cast<std::size_t>(j)]) {
          minv[static_cast<std::size_t>(j)] = reduced;
          way[static_cast<std::size_t>(j)] = j0;
        }
        if (minv[static_cast<std::size_t>(j)] < delta) {
          delta = minv[static_cast<std::size_t>(j)];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {  // keep reduced costs >= 0 on the tree, 0 on its edges
        if (used[static_cast<std::size_t>(j)]) {
          u[static_cast<std::size_t>(p[static_cast<std::size_t>(j)])] += delta;
          v[static_cast<std::size_t>(j)] -= delta;
        } else {
          minv[static_cast<std::size_t>(j)] -= delta;
        }
      }
      j0 = j1;
    } while (p[static_cast<std::size_t>(j0)] != 0);
    do {  // augment along the path back to the virtual column
      const int j1 = way[static_cast<std::size_t>(j0)];
      p[static_cast<std::size_t>(j0)] = p[static_cast<std::size_t>(j1)];
      j0 = j1;
    } while (j0 != 0);
  }
  Assignment result;
  result.col_of_row.assign(static_cast<std::size_t>(rows), -1);
  for (int j = 1; j <= m; ++j) {
    const int i = p[static_cast<std::size_t>(j)];
    if (i == 0) continue;
    const int row = transpose ? j - 1 : i - 1, col = transpose ? i - 1 : j - 1;
    result.col_of_row[static_cast<std::size_t>(row)] = col;
  }
  for (int r = 0; r < rows; ++r) {
    const int c = result.col_of_row[static_cast<std::size_t>(r)];
    if (c >= 0) result.total += cost[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
  }
  return result;
}

/// The optimal one-to-one mapping: the assignment of clusters to classes that labels the most
/// points correctly (Hungarian algorithm on the contingency table).
///
/// @param table contingency(clusters, k, classes, n_classes)
/// @return      (k) mapping; distinct classes; -1 for clusters left over when k > n_classes
/// @post accuracy(table, result) is the highest of any one-to-one mapping
[[nodiscard]] inline Mapping hungarian_mapping(const CountMatrix& table) {
  std::vector<double> gain(table.counts.begin(), table.counts.end());
  return linear_sum_assignment(gain, table.rows, table.cols, /*maximize=*/true).col_of_row;
}

/// Majority vote: each cluster takes the class most of its points have (the lowest on a tie; -1
/// for an empty cluster). Several clusters may take the same class.
///
/// @param table contingency(clusters, k, classes, n_classes)
/// @return      (k) mapping
[[nodiscard]] inline Mapping majority_mapping(const CountMatrix& table) {
  Mapping mapping(static_cast<std::size_t>(table.rows), -1);
  for (int c = 0; c < table.rows; ++c) {
    std::int64_t best = 0;
    for (int y = 0; y < table.cols; ++y)
      if (table(c, y) > best) {
        best = table(c, y);
        mapping[static_cast<std::size_t>(c)] = y;
      }
  }
  return mapping;
}

}  // namespace dae::cluster
