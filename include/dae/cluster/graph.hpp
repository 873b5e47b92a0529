// Graph clustering of low-dimensional points: the clustering `dae_mnist cluster --method graph`
// uses on the 4-D latent codes, where Lloyd k-means cuts the long, curved digit manifolds with
// straight walls. Clusters here are groups of points that are densely connected in a
// neighbourhood graph, whatever their shape.
//
// The recipe, step by step:
//   1. Symmetric k-nearest-neighbour graph. Every point is joined to its `neighbors` nearest
//      points (exact, by a k-d tree, which in a few dimensions prunes most of the points).
//      Each edge {i, j} is weighted by the neighbours the two share, the Jaccard index of
//      {i} ∪ kNN(i) and {j} ∪ kNN(j) (as PhenoGraph does): an edge that crosses a thin neck
//      between two manifolds shares few neighbours and weighs little. The plain alternative,
//      A + Aᵀ (2 for a mutual pair, 1 otherwise), is an option; on the MNIST codes the two are
//      within noise of each other (docs/CLUSTERING.md).
//   2. Micro-clusters: our own k-means (kmeans.hpp) with `micro_clusters` centres, many more than
//      k, cuts the points into small convex pieces. A piece is small enough to lie on one
//      manifold, so the hard decisions are left to the graph.
//   3. Greedy merging: the pieces become nodes of an aggregated graph; of the pairs joined by an
//      edge, the one whose merge raises Newman's modularity the most is merged, again and again,
//      until k remain (also when the best merge lowers it: the number of clusters is the user's
//      choice). Unconnected pairs are merged only when no joined pair is left.
//   4. Point moves: sweeps over the points, each moved to the neighbouring cluster that raises
//      modularity the most (Louvain's local move), never emptying a cluster, until a sweep moves
//      nothing or `sweeps` is reached. This repairs the straight walls k-means left inside the
//      pieces.
//   5. Restarts: steps 2-4 run `restarts` times with different k-means seeds.
//   6. Consensus (Lancichinetti and Fortunato, "Consensus clustering in complex networks", Sci.
//      Rep. 2, 336, 2012): each edge is reweighted by the fraction of the restarts that put its
//      two ends in one cluster (fractions below `consensus_threshold` become a negligible 1e-6,
//      so the graph keeps its edges), and steps 2-5 run again on that graph, `consensus_rounds`
//      times. Restarts disagree where the partition is uncertain (on the MNIST codes: whether
//      the 4s and 9s are cut along or across their manifold); the consensus graph weakens the
//      edges they disagree on, and the rounds settle what one pick by modularity left to
//      chance (docs/CLUSTERING.md: +2 points on average, the weakest seed +4).
//   The restart of the last round with the highest modularity (on the graph it ran on) is
//   kept. Only the graph decides: no label is ever looked at.
//
// Modularity of a partition, with m2 the total edge weight (sum of all degrees) and γ the
// resolution: Q = Σ_c [ In_c / m2 - γ (D_c / m2)² ], In_c the weight inside cluster c (both
// directions), D_c the sum of its degrees.
//
// Determinism and order: the points are first put in a canonical order (lexicographic by
// coordinates), and everything runs in that order; neighbour ties go to the lower canonical
// index. The result therefore depends only on the set of points and the options, not on the
// order they come in (exactly so when the points are distinct), and not on the thread count:
// the neighbour queries are independent per point, each restart runs serially, and the pick
// among restarts is a fixed scan. Threads are those of dae's pool (parallel.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dae/backend/cpu/parallel.hpp"
#include "dae/cluster/kmeans.hpp"
#include "dae/error.hpp"
#include "dae/rng.hpp"

namespace dae::cluster {

/// How the edges of the kNN graph are weighted.
enum class GraphWeights {
  knn_count,         ///< A + Aᵀ: 2 when each point is among the other's neighbours, 1 when one is
  shared_neighbors,  ///< Jaccard index of the two points' neighbour sets, each with the point itself
};

/// Options of `graph_cluster`. The defaults are those measured on the MNIST codes
/// (docs/CLUSTERING.md).
struct GraphClusterOptions {
  int k = 10;               ///< number of clusters, 1 <= k <= N
  int neighbors = 15;       ///< neighbours per point in the kNN graph (at most N - 1 are used)
  int micro_clusters = 150; ///< k-means pieces merged by modularity; k <= micro_clusters <= 1000
  int restarts = 8;  ///< independent runs of steps 2-4 per round; the highest modularity is kept
  int sweeps = 20;          ///< point-move sweeps per restart, at most (0: none)
  double resolution = 0.8;  ///< γ in the modularity; > 0 (below 1 favours larger clusters)
  GraphWeights weights = GraphWeights::shared_neighbors;  ///< how the kNN edges are weighted
  int consensus_rounds = 2;  ///< rounds on the consensus graph after the first (0: none), <= 100
  double consensus_threshold =
      0.3;  ///< agreement below which a consensus edge is dropped to 1e-6, in [0, 1)
  std::uint64_t seed = 0;   ///< restart r seeds its k-means from dae::Rng(seed, r)
  int threads = 0;          ///< worker threads; 0 = all of dae's pool. Does not change the result.
};

/// What `graph_cluster` returns: the restart with the highest modularity.
struct GraphClusterResult {
  int k = 0;                           ///< number of clusters
  int dim = 0;                         ///< dimension D of the points
  std::vector<int> labels;             ///< (N) cluster of each point, in [0, k), none empty
  std::vector<double> centres;         ///< (k, D) row-major mean of each cluster
  double modularity = 0.0;  ///< modularity of `labels` on the kNN graph (not the consensus graph)
  int best_restart = 0;     ///< index of the kept restart (in the last round)
  std::vector<double> restart_modularity;  ///< (restarts) modularity of every restart of the last
                                           ///< round, on its graph
  int moves = 0;                       ///< point moves made by the kept restart
  /// Conditions the caller may want to report; the library never prints them.
  std::vector<std::string> warnings;
};

/// A weighted undirected graph in compressed-row form: the neighbours of node i are
/// targets[offsets[i] .. offsets[i + 1]), in increasing order, with their edge weights.
struct NeighborGraph {
  std::vector<std::int64_t> offsets;  ///< (N + 1)
  std::vector<int> targets;           ///< (edges) neighbour ids
  std::vector<double> weights;        ///< (edges) weight of each edge, > 0
  /// Number of nodes.
  [[nodiscard]] int size() const { return offsets.empty() ? 0 : static_cast<int>(offsets.size() - 1); }
  /// Sum of the weights of node i's edges. @param i node, 0 <= i < size()
  [[nodiscard]] double degree(int i) const {
    double sum = 0.0;
    for (auto e = offsets[static_cast<std::size_t>(i)]; e < offsets[static_cast<std::size_t>(i) + 1]; ++e)
      sum += weights[static_cast<std::size_t>(e)];
    return sum;
  }
};

namespace detail {

/// An exact k-d tree over float points, for k-nearest-neighbour queries. Nodes split at the
/// median of their widest coordinate; leaves hold at most kLeaf points. Distances are squared
/// Euclidean in double; ties go to the lower point index, so a query's answer is unique.
class KdTree {
 public:
  KdTree(const float* points, int n, int dim) : x_(points), n_(n), dim_(dim), order_(static_cast<std::size_t>(n)) {
    std::iota(order_.begin(), order_.end(), 0);
    if (n > 0) build(0, n);
  }

  /// The `count` nearest points to point `query` other than itself, nearest first, written to
  /// out[0 .. count). @pre 1 <= count <= N - 1
  void nearest(int query, int count, int* out) const {
    std::vector<std::pair<double, int>> best;  // sorted by (distance, index), at most `count`
    best.reserve(static_cast<std::size_t>(count) + 1);
    search(0, point(query), query, count, best);
    for (int j = 0; j < count; ++j) out[j] = best[static_cast<std::size_t>(j)].second;
  }

 private:
  static constexpr int kLeaf = 12;
  struct Node {
    int begin, end;      // range of order_
    int axis = -1;       // -1: leaf
    float split = 0.0f;  // points in [begin, mid) have coordinate <= split, [mid, end) >= split
    int left = -1, right = -1;
  };

  [[nodiscard]] const float* point(int i) const { return x_ + static_cast<std::ptrdiff_t>(i) * dim_; }

  int build(int begin, int end) {
    const int id = static_cast<int>(nodes_.size());
    nodes_.push_back(Node{begin, end});
    if (end - begin <= kLeaf) return id;
    int axis = 0;
    float widest = -1.0f;
    for (int d = 0; d < dim_; ++d) {
      float lo = std::numeric_limits<float>::infinity(), hi = -lo;
      for (int i = begin; i < end; ++i) {
        const float v = point(order_[static_cast<std::size_t>(i)])[d];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      if (hi - lo > widest) {
        widest = hi - lo;
        axis = d;
      }
    }
    if (!(widest > 0.0f)) return id;  // all points equal: one leaf, however many
    const int mid = begin + (end - begin) / 2;
    // A total order (coordinate, then index), so the split does not depend on the library's
    // nth_element strategy beyond the set it leaves on each side.
    std::nth_element(order_.begin() + begin, order_.begin() + mid, order_.begin() + end, [&](int a, int b) {
      const float va = point(a)[axis], vb = point(b)[axis];
      return va < vb || (va == vb && a < b);
    });
    const float split = point(order_[static_cast<std::size_t>(mid)])[axis];
    const int left = build(begin, mid);
    const int right = build(mid, end);
    Node& node = nodes_[static_cast<std::size_t>(id)];
    node.axis = axis;
    node.split = split;
    node.left = left;
    node.right = right;
    return id;
  }

  /// Keeps `best` the `count` lowest (distance, index) pairs seen, in order.
  static void offer(std::vector<std::pair<double, int>>& best, int count, double dist, int index) {
    const std::pair<double, int> item{dist, index};
    if (static_cast<int>(best.size()) == count && !(item < best.back())) return;
    best.insert(std::upper_bound(best.begin(), best.end(), item), item);
    if (static_cast<int>(best.size()) > count) best.pop_back();
  }

  void search(int id, const float* q, int self, int count, std::vector<std::pair<double, int>>& best) const {
    const Node& node = nodes_[static_cast<std::size_t>(id)];
    if (node.axis < 0) {
      for (int i = node.begin; i < node.end; ++i) {
        const int j = order_[static_cast<std::size_t>(i)];
        if (j == self) continue;
        const float* p = point(j);
        double dist = 0.0;
        for (int d = 0; d < dim_; ++d) {
          const double diff = static_cast<double>(q[d]) - static_cast<double>(p[d]);
          dist += diff * diff;
        }
        offer(best, count, dist, j);
      }
      return;
    }
    const double diff = static_cast<double>(q[node.axis]) - static_cast<double>(node.split);
    const int near = diff < 0.0 ? node.left : node.right, far = diff < 0.0 ? node.right : node.left;
    search(near, q, self, count, best);
    // `<=`: a point on the far side at exactly the worst distance may still win on its index.
    if (static_cast<int>(best.size()) < count || diff * diff <= best.back().first) search(far, q, self, count, best);
  }

  const float* x_;
  int n_, dim_;
  std::vector<int> order_;
  std::vector<Node> nodes_;
};

/// Checks every precondition of graph_cluster; throws dae::Error naming the first one broken.
inline void validate_graph(std::span<const float> points, int dim, const GraphClusterOptions& o) {
  const std::string who = "graph_cluster: ";
  if (dim <= 0) throw Error(who + "dimension D = " + std::to_string(dim) + " must be at least 1");
  if (points.size() % static_cast<std::size_t>(dim) != 0)
    throw Error(who + std::to_string(points.size()) + " values are not a whole number of " + std::to_string(dim) +
                "-dimensional points");
  const auto n = points.size() / static_cast<std::size_t>(dim);
  if (n == 0) throw Error(who + "no points (N = 0)");
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2))
    throw Error(who + "N = " + std::to_string(n) + " points is more than this implementation indexes");
  if (o.k <= 0) throw Error(who + "k = " + std::to_string(o.k) + " must be at least 1");
  if (static_cast<std::size_t>(o.k) > n)
    throw Error(who + "k = " + std::to_string(o.k) + " is more than the number of points N = " + std::to_string(n));
  if (o.neighbors <= 0) throw Error(who + "neighbors = " + std::to_string(o.neighbors) + " must be at least 1");
  if (o.micro_clusters < o.k || o.micro_clusters > 1000)
    throw Error(who + "micro_clusters = " + std::to_string(o.micro_clusters) + " must lie in [k = " +
                std::to_string(o.k) + ", 1000]");
  if (o.restarts <= 0) throw Error(who + "restarts = " + std::to_string(o.restarts) + " must be at least 1");
  if (o.sweeps < 0) throw Error(who + "sweeps = " + std::to_string(o.sweeps) + " must be >= 0");
  if (!(o.resolution > 0.0) || !std::isfinite(o.resolution))
    throw Error(who + "resolution = " + std::to_string(o.resolution) + " must be finite and positive");
  if (o.threads < 0) throw Error(who + "threads = " + std::to_string(o.threads) + " must be >= 0");
  if (o.consensus_rounds < 0 || o.consensus_rounds > 100)
    throw Error(who + "consensus_rounds = " + std::to_string(o.consensus_rounds) +
                " must lie in [0, 100]");
  if (!(o.consensus_threshold >= 0.0 && o.consensus_threshold < 1.0))
    throw Error(who + "consensus_threshold = " + std::to_string(o.consensus_threshold) +
                " must lie in [0, 1)");
  for (std::size_t j = 0; j < points.size(); ++j)
    if (!std::isfinite(points[j]))
      throw Error(who + "point " + std::to_string(j / static_cast<std::size_t>(dim)) + ", coordinate " +
                  std::to_string(j % static_cast<std::size_t>(dim)) + " is " +
                  (std::isnan(points[j]) ? "NaN" : "infinite"));
}

/// The symmetric kNN graph A + Aᵀ of `n` points (no checks; see knn_graph).
inline NeighborGraph build_knn_graph(const float* points, int n, int dim, int neighbors, int threads,
                                     GraphWeights weighting) {
  NeighborGraph graph;
  graph.offsets.assign(static_cast<std::size_t>(n) + 1, 0);
  const int count = std::min(neighbors, n - 1);
  if (count <= 0) return graph;
  const KdTree tree(points, n, dim);
  std::vector<int> nearest(static_cast<std::size_t>(n) * static_cast<std::size_t>(count));  // (N, count)
  constexpr int kQueryChunk = 512;
  const int chunks = (n + kQueryChunk - 1) / kQueryChunk;
  dae::detail::cpu_pool().run_workers(chunks, threads, [&](std::int64_t c, int) {
    const int end = std::min(n, static_cast<int>(c + 1) * kQueryChunk);
    for (int i = static_cast<int>(c) * kQueryChunk; i < end; ++i)
      tree.nearest(i, count, nearest.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(count));
  });
  // Each directed pair i -> j (j among i's neighbours) adds weight 1 to edge {i, j}: rows hold
  // the out-neighbours and the in-neighbours, then sorted and merged, so a mutual pair weighs 2.
  std::vector<std::int64_t> fill(static_cast<std::size_t>(n) + 1, 0);
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < count; ++t) {
      ++fill[static_cast<std::size_t>(i) + 1];
      ++fill[static_cast<std::size_t>(nearest[static_cast<std::size_t>(i) * count + t]) + 1];
    }
  for (int i = 0; i < n; ++i) fill[static_cast<std::size_t>(i) + 1] += fill[static_cast<std::size_t>(i)];
  std::vector<int> raw(static_cast<std::size_t>(fill.back()));
  std::vector<std::int64_t> cursor(fill.begin(), fill.end() - 1);
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < count; ++t) {
      const int j = nearest[static_cast<std::size_t>(i) * count + t];
      raw[static_cast<std::size_t>(cursor[static_cast<std::size_t>(i)]++)] = j;
      raw[static_cast<std::size_t>(cursor[static_cast<std::size_t>(j)]++)] = i;
    }
  graph.targets.reserve(raw.size());
  graph.weights.reserve(raw.size());
  for (int i = 0; i < n; ++i) {
    const auto begin = raw.begin() + fill[static_cast<std::size_t>(i)], end = raw.begin() + fill[static_cast<std::size_t>(i) + 1];
    std::sort(begin, end);
    for (auto it = begin; it != end; ++it) {
      if (it != begin && *it == *(it - 1)) {
        graph.weights.back() += 1.0;
      } else {
        graph.targets.push_back(*it);
        graph.weights.push_back(1.0);
      }
    }
    graph.offsets[static_cast<std::size_t>(i) + 1] = static_cast<std::int64_t>(graph.targets.size());
  }
  if (weighting == GraphWeights::shared_neighbors) {
    // Shared-neighbour weights: |S_i ∩ S_j| / |S_i ∪ S_j| with S_i = {i} ∪ kNN(i), sorted.
    std::vector<int> sets(static_cast<std::size_t>(n) * static_cast<std::size_t>(count + 1));
    for (int i = 0; i < n; ++i) {
      int* row = sets.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(count + 1);
      row[0] = i;
      std::copy_n(nearest.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(count), count, row + 1);
      std::sort(row, row + count + 1);
    }
    // Each node writes only its own row's weights: the chunks may run on any threads.
    dae::detail::cpu_pool().run_workers(chunks, threads, [&](std::int64_t c, int) {
      const int end = std::min(n, static_cast<int>(c + 1) * kQueryChunk);
      for (int i = static_cast<int>(c) * kQueryChunk; i < end; ++i) {
        const int* a = sets.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(count + 1);
        for (auto e = graph.offsets[static_cast<std::size_t>(i)]; e < graph.offsets[static_cast<std::size_t>(i) + 1]; ++e) {
          const int* b = sets.data() + static_cast<std::size_t>(graph.targets[static_cast<std::size_t>(e)]) * static_cast<std::size_t>(count + 1);
          int shared = 0;
          for (int x = 0, y = 0; x <= count && y <= count;) {  // both sets sorted: one merge pass
            if (a[x] < b[y]) {
              ++x;
            } else if (b[y] < a[x]) {
              ++y;
            } else {
              ++shared;
              ++x;
              ++y;
            }
          }
          graph.weights[static_cast<std::size_t>(e)] = static_cast<double>(shared) / static_cast<double>(2 * (count + 1) - shared);
        }
      }
    });
  }
  return graph;
}

/// Modularity of `labels` (in [0, k)) on `graph` with resolution γ; 0 for a graph without edges.
inline double modularity_of(const NeighborGraph& graph, std::span<const int> labels, int k, double resolution) {
  std::vector<double> inside(static_cast<std::size_t>(k), 0.0), degree(static_cast<std::size_t>(k), 0.0);
  double total = 0.0;
  for (int i = 0; i < graph.size(); ++i) {
    const auto c = static_cast<std::size_t>(labels[static_cast<std::size_t>(i)]);
    for (auto e = graph.offsets[static_cast<std::size_t>(i)]; e < graph.offsets[static_cast<std::size_t>(i) + 1]; ++e) {
      const double w = graph.weights[static_cast<std::size_t>(e)];
      degree[c] += w;
      total += w;
      if (labels[static_cast<std::size_t>(graph.targets[static_cast<std::size_t>(e)])] == labels[static_cast<std::size_t>(i)])
        inside[c] += w;
    }
  }
  if (!(total > 0.0)) return 0.0;
  double q = 0.0;
  for (std::size_t c = 0; c < inside.size(); ++c) q += inside[c] / total - resolution * (degree[c] / total) * (degree[c] / total);
  return q;
}

/// Micro-cluster labels of the (canonically ordered) points for restart `restart`: k-means with
/// `micro` centres (each point its own piece when N <= micro), empty pieces dropped and the ids
/// made compact; if fewer than k pieces remain (many duplicated points), the largest pieces are
/// halved until there are k. Returns the number of pieces.
inline int micro_cluster(std::span<const float> points, int n, int dim, const GraphClusterOptions& o, int restart,
                         std::vector<int>& piece) {
  piece.resize(static_cast<std::size_t>(n));
  if (n <= o.micro_clusters) {
    std::iota(piece.begin(), piece.end(), 0);
    return n;
  }
  Rng rng(o.seed, static_cast<std::uint64_t>(restart));
  const KMeansOptions kmeans_options{.k = o.micro_clusters, .n_init = 1, .max_iter = 300, .tol = 1e-4,
                                     .seed = rng.next_u64(), .threads = 1};
  piece = kmeans(points, dim, kmeans_options).labels;
  std::vector<int> compact(static_cast<std::size_t>(o.micro_clusters), -1);
  int pieces = 0;
  for (int& p : piece) {
    if (compact[static_cast<std::size_t>(p)] < 0) compact[static_cast<std::size_t>(p)] = pieces++;
    p = compact[static_cast<std::size_t>(p)];
  }
  while (pieces < o.k) {
    std::vector<int> size(static_cast<std::size_t>(pieces), 0);
    for (const int p : piece) ++size[static_cast<std::size_t>(p)];
    const int largest = static_cast<int>(std::max_element(size.begin(), size.end()) - size.begin());
    int seen = 0;
    for (int& p : piece)  // the second half of the largest piece, in canonical order, splits off
      if (p == largest && seen++ >= size[static_cast<std::size_t>(largest)] / 2) p = pieces;
    ++pieces;
  }
  return pieces;
}

/// Step 3: merges the `pieces` micro-clusters greedily by modularity gain until k remain.
/// Returns the cluster (in [0, k)) of each piece.
inline std::vector<int> merge_pieces(const NeighborGraph& graph, std::span<const int> piece, int pieces, int k,
                                     double resolution) {
  const auto m = static_cast<std::size_t>(pieces);
  std::vector<double> between(m * m, 0.0), degree(m, 0.0);  // (pieces, pieces) edge weight, degree sums
  double total = 0.0;
  for (int i = 0; i < graph.size(); ++i) {
    const auto a = static_cast<std::size_t>(piece[static_cast<std::size_t>(i)]);
    for (auto e = graph.offsets[static_cast<std::size_t>(i)]; e < graph.offsets[static_cast<std::size_t>(i) + 1]; ++e) {
      const double w = graph.weights[static_cast<std::size_t>(e)];
      between[a * m + static_cast<std::size_t>(piece[static_cast<std::size_t>(graph.targets[static_cast<std::size_t>(e)])])] += w;
      degree[a] += w;
      total += w;
    }
  }
  std::vector<int> owner(m);  // the representative piece of each piece's cluster
  std::iota(owner.begin(), owner.end(), 0);
  std::vector<char> alive(m, 1);
  const double scale = total > 0.0 ? 1.0 / total : 0.0;
  for (int remaining = pieces; remaining > k; --remaining) {
    // Gain of merging a and b: 2 (E_ab / m2 - γ D_a D_b / m2²); the factor 2 does not change
    // the argmax. Only clusters joined by an edge are candidates while any such pair is left
    // (as in Clauset-Newman-Moore): once the gains are all negative, an unconnected pair can
    // look cheaper than two halves of one long manifold, and merging it is never undone. The
    // first best pair in (a, b) order wins a tie.
    double best_gain = -std::numeric_limits<double>::infinity();
    std::size_t best_a = 0, best_b = 0;
    bool connected = false;
    for (std::size_t a = 0; a < m; ++a) {
      if (!alive[a]) continue;
      for (std::size_t b = a + 1; b < m; ++b) {
        if (!alive[b]) continue;
        const bool joined = between[a * m + b] > 0.0;
        if (connected && !joined) continue;
        const double gain = between[a * m + b] * scale - resolution * degree[a] * degree[b] * scale * scale;
        if (gain > best_gain || (joined && !connected)) {
          best_gain = gain;
          best_a = a;
          best_b = b;
          connected = connected || joined;
        }
      }
    }
    for (std::size_t c = 0; c < m; ++c) {  // fold b into a
      between[best_a * m + c] += between[best_b * m + c];
      between[c * m + best_a] += between[c * m + best_b];
    }
    degree[best_a] += degree[best_b];
    alive[best_b] = 0;
    for (auto& o : owner)
      if (o == static_cast<int>(best_b)) o = static_cast<int>(best_a);
  }
  std::vector<int> cluster_of_owner(m, -1);
  int clusters = 0;
  for (std::size_t a = 0; a < m; ++a)
    if (alive[a]) cluster_of_owner[a] = clusters++;
  std::vector<int> cluster(m);
  for (std::size_t a = 0; a < m; ++a) cluster[a] = cluster_of_owner[static_cast<std::size_t>(owner[a])];
  return cluster;
}

/// Step 4: Louvain local moves with k fixed, in canonical order, until a sweep moves no point or
/// `sweeps` sweeps are done. A point moves only to a cluster it has an edge to, only when that
/// raises modularity by more than rounding noise, and never out of a cluster it is alone in.
/// Returns the number of moves.
inline int move_points(const NeighborGraph& graph, std::vector<int>& labels, int k, double resolution, int sweeps) {
  const int n = graph.size();
  std::vector<double> node_degree(static_cast<std::size_t>(n)), cluster_degree(static_cast<std::size_t>(k), 0.0);
  std::vector<int> size(static_cast<std::size_t>(k), 0);
  double total = 0.0;
  for (int i = 0; i < n; ++i) {
    node_degree[static_cast<std::size_t>(i)] = graph.degree(i);
    cluster_degree[static_cast<std::size_t>(labels[static_cast<std::size_t>(i)])] += node_degree[static_cast<std::size_t>(i)];
    ++size[static_cast<std::size_t>(labels[static_cast<std::size_t>(i)])];
    total += node_degree[static_cast<std::size_t>(i)];
  }
  if (!(total > 0.0)) return 0;
  std::vector<double> link(static_cast<std::size_t>(k), 0.0);  // weight from the point to each cluster
  std::vector<int> touched;
  int moves = 0;
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    int moved = 0;
    for (int i = 0; i < n; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      const int from = labels[ui];
      if (size[static_cast<std::size_t>(from)] == 1) continue;
      touched.clear();
      for (auto e = graph.offsets[ui]; e < graph.offsets[ui + 1]; ++e) {
        const int c = labels[static_cast<std::size_t>(graph.targets[static_cast<std::size_t>(e)])];
        if (link[static_cast<std::size_t>(c)] == 0.0) touched.push_back(c);
        link[static_cast<std::size_t>(c)] += graph.weights[static_cast<std::size_t>(e)];
      }
      // Joining c (point i taken out first) changes Q by (link_c - γ d_i D_c / m2) * 2 / m2.
      const double d = node_degree[ui];
      auto score = [&](int c) {
        const double rest = cluster_degree[static_cast<std::size_t>(c)] - (c == from ? d : 0.0);
        return link[static_cast<std::size_t>(c)] - resolution * d * rest / total;
      };
      const double stay = score(from);
      int best = from;
      double best_score = stay + 1e-12 * (std::abs(stay) + d);
      std::sort(touched.begin(), touched.end());  // ties go to the lowest cluster id
      for (const int c : touched)
        if (c != from && score(c) > best_score) {
          best_score = score(c);
          best = c;
        }
      for (const int c : touched) link[static_cast<std::size_t>(c)] = 0.0;
      if (best == from) continue;
      cluster_degree[static_cast<std::size_t>(from)] -= d;
      cluster_degree[static_cast<std::size_t>(best)] += d;
      --size[static_cast<std::size_t>(from)];
      ++size[static_cast<std::size_t>(best)];
      labels[ui] = best;
      ++moved;
    }
    moves += moved;
    if (moved == 0) break;
  }
  return moves;
}

/// Numbers the clusters by their first point in canonical order, so that the ids depend only on
/// the partition.
inline void canonical_ids(std::vector<int>& labels, int k) {
  std::vector<int> id(static_cast<std::size_t>(k), -1);
  int next = 0;
  for (int& l : labels) {
    if (id[static_cast<std::size_t>(l)] < 0) id[static_cast<std::size_t>(l)] = next++;
    l = id[static_cast<std::size_t>(l)];
  }
}

/// The permutation that sorts the points lexicographically by coordinates (stable: equal points
/// keep their input order).
inline std::vector<int> canonical_order(std::span<const float> points, int n, int dim) {
  std::vector<int> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const auto udim = static_cast<std::size_t>(dim);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const float* pa = points.data() + static_cast<std::size_t>(a) * udim;
    const float* pb = points.data() + static_cast<std::size_t>(b) * udim;
    return std::lexicographical_compare(pa, pa + dim, pb, pb + dim);
  });
  return order;
}

}  // namespace detail

/// The symmetric k-nearest-neighbour graph of the points: i and j are joined when either is
/// among the other's `neighbors` nearest points. Exact (k-d tree); ties in distance go to the
/// lower index. With GraphWeights::knn_count edge {i, j} weighs 2 when each is among the other's
/// neighbours and 1 when only one is; with shared_neighbors it weighs the Jaccard index of the
/// two neighbour sets (each including the point itself), in (0, 1].
///
/// @param points    (N, dim) row-major float coordinates, all finite
/// @param dim       dimension D, >= 1
/// @param neighbors neighbours per point, >= 1 (at most N - 1 are used)
/// @param weighting how the edges are weighted
/// @param threads   worker threads of dae's pool, 0 = all; does not change the result
/// @return          the graph, in compressed rows, each row sorted by neighbour
/// @pre  points.size() a multiple of dim, N >= 1, all finite; otherwise dae::Error
[[nodiscard]] inline NeighborGraph knn_graph(std::span<const float> points, int dim, int neighbors,
                                             GraphWeights weighting = GraphWeights::knn_count, int threads = 0) {
  GraphClusterOptions check;
  check.k = 1;
  check.neighbors = neighbors;
  check.micro_clusters = 1;
  check.threads = threads;
  detail::validate_graph(points, dim, check);
  const int n = static_cast<int>(points.size() / static_cast<std::size_t>(dim));
  return detail::build_knn_graph(points.data(), n, dim, neighbors, threads, weighting);
}

/// Newman's modularity of a partition of a graph: Σ_c [ In_c / m2 - γ (D_c / m2)² ].
///
/// @param graph      a graph, e.g. from knn_graph
/// @param labels     (N) cluster of each node, in [0, k)
/// @param k          number of clusters, >= 1
/// @param resolution γ, > 0 (1 is Newman's)
/// @return           the modularity, in [-1/2, 1) for γ = 1; 0 for a graph without edges
/// @pre  labels.size() == graph.size(), labels in [0, k); otherwise dae::Error
[[nodiscard]] inline double modularity(const NeighborGraph& graph, std::span<const int> labels, int k,
                                       double resolution = 1.0) {
  if (labels.size() != static_cast<std::size_t>(graph.size()))
    throw Error("modularity: " + std::to_string(labels.size()) + " labels for a graph of " +
                std::to_string(graph.size()) + " nodes");
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= k)
      throw Error("modularity: label " + std::to_string(labels[i]) + " of node " + std::to_string(i) +
                  " is outside [0, " + std::to_string(k) + ")");
  return detail::modularity_of(graph, labels, k, resolution);
}

/// Clusters N points into k groups by the graph recipe of this file: kNN graph, k-means
/// micro-clusters, greedy modularity merging to k, point moves, several restarts, rounds on the
/// consensus graph of the restarts, the best restart of the last round by modularity.
///
/// @param points  (N, dim) row-major float coordinates, all finite
/// @param dim     dimension D, >= 1
/// @param options k, graph and restart settings, seed, threads (see GraphClusterOptions)
/// @return        labels (N) in [0, k) with no empty cluster, cluster means, the modularity,
///                the kept restart and every restart's modularity
/// @pre  points.size() a multiple of dim, 1 <= k <= N, k <= micro_clusters <= 1000,
///       neighbors >= 1, restarts >= 1, sweeps >= 0, resolution > 0, threads >= 0, no NaN or
///       infinity; otherwise dae::Error
/// @post the result depends only on the set of points and the options other than `threads`;
///       cluster ids are numbered by their first point in lexicographic order of coordinates
[[nodiscard]] inline GraphClusterResult graph_cluster(std::span<const float> points, int dim,
                                                      const GraphClusterOptions& options) {
  detail::validate_graph(points, dim, options);
  const int n = static_cast<int>(points.size() / static_cast<std::size_t>(dim));
  const auto udim = static_cast<std::size_t>(dim);
  const int k = options.k;
  const int threads = detail::resolve_threads(options.threads);

  const std::vector<int> order = detail::canonical_order(points, n, dim);
  std::vector<float> sorted(points.size());  // (N, D) the points in canonical order
  for (int s = 0; s < n; ++s)
    std::copy_n(points.data() + static_cast<std::size_t>(order[static_cast<std::size_t>(s)]) * udim, dim,
                sorted.data() + static_cast<std::size_t>(s) * udim);

  GraphClusterResult result;
  result.k = k;
  result.dim = dim;
  std::vector<int> best_labels(static_cast<std::size_t>(n), 0);
  if (k > 1) {
    const NeighborGraph knn =
        detail::build_knn_graph(sorted.data(), n, dim, options.neighbors, threads, options.weights);
    NeighborGraph graph = knn;  // the kNN graph, then each round's consensus graph
    struct Restart {
      std::vector<int> labels;
      double modularity = 0.0;
      int moves = 0;
    };
    const auto restarts = static_cast<std::size_t>(options.restarts);
    std::vector<Restart> runs(restarts);
    for (int round = 0; round <= options.consensus_rounds; ++round) {
      if (round > 0) {  // reweight every edge by the agreement of the previous round's restarts
        constexpr int kChunks =
            64;  // of the nodes, spread over `threads` workers; any split gives the same weights
        dae::detail::cpu_pool().run_workers(kChunks, threads, [&](std::int64_t c, int) {
          const auto first = static_cast<std::size_t>(n) * static_cast<std::size_t>(c) / kChunks;
          const auto last = static_cast<std::size_t>(n) * static_cast<std::size_t>(c + 1) / kChunks;
          for (auto i = first; i < last; ++i) {
            for (auto e = static_cast<std::size_t>(graph.offsets[i]);
                 e < static_cast<std::size_t>(graph.offsets[i + 1]); ++e) {
              const auto j = static_cast<std::size_t>(graph.targets[e]);
              int together = 0;
              for (const Restart& run : runs) together += run.labels[i] == run.labels[j] ? 1 : 0;
              const double agreement =
                  static_cast<double>(together) / static_cast<double>(restarts);
              graph.weights[e] = agreement < options.consensus_threshold ? 1e-6 : agreement;
            }
          }
        });
      }
      dae::detail::cpu_pool().run_workers(options.restarts, threads, [&](std::int64_t r, int) {
        Restart& run = runs[static_cast<std::size_t>(r)];
        std::vector<int>
            piece;  // each round draws new micro-clusters: restart ids r + round * restarts
        const int pieces = detail::micro_cluster(
            sorted, n, dim, options, static_cast<int>(r) + round * options.restarts, piece);
        const std::vector<int> cluster =
            detail::merge_pieces(graph, piece, pieces, k, options.resolution);
        run.labels.resize(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
          run.labels[static_cast<std::size_t>(i)] =
              cluster[static_cast<std::size_t>(piece[static_cast<std::size_t>(i)])];
        run.moves = detail::move_points(graph, run.labels, k, options.resolution, options.sweeps);
        run.modularity = detail::modularity_of(graph, run.labels, k, options.resolution);
      });
    }
    int best = 0;
    for (int r = 0; r < options.restarts; ++r) {
      result.restart_modularity.push_back(runs[static_cast<std::size_t>(r)].modularity);
      if (runs[static_cast<std::size_t>(r)].modularity > runs[static_cast<std::size_t>(best)].modularity) best = r;
    }
    result.best_restart = best;
    result.moves = runs[static_cast<std::size_t>(best)].moves;
    best_labels = std::move(runs[static_cast<std::size_t>(best)].labels);
    result.modularity = detail::modularity_of(knn, best_labels, k, options.resolution);
    detail::canonical_ids(best_labels, k);
  } else {
    result.restart_modularity.assign(static_cast<std::size_t>(options.restarts), 0.0);
  }

  result.labels.resize(static_cast<std::size_t>(n));
  result.centres.assign(static_cast<std::size_t>(k) * udim, 0.0);
  std::vector<std::int64_t> size(static_cast<std::size_t>(k), 0);
  for (int s = 0; s < n; ++s) {
    const int c = best_labels[static_cast<std::size_t>(s)];
    result.labels[static_cast<std::size_t>(order[static_cast<std::size_t>(s)])] = c;
    ++size[static_cast<std::size_t>(c)];
    for (std::size_t d = 0; d < udim; ++d)
      result.centres[static_cast<std::size_t>(c) * udim + d] += sorted[static_cast<std::size_t>(s) * udim + d];
  }
  for (int c = 0; c < k; ++c)
    for (std::size_t d = 0; d < udim; ++d)
      result.centres[static_cast<std::size_t>(c) * udim + d] /= static_cast<double>(size[static_cast<std::size_t>(c)]);
  if (n <= options.neighbors)
    result.warnings.push_back("graph_cluster: only " + std::to_string(n - 1) + " neighbours per point exist (N = " +
                              std::to_string(n) + "); the graph is complete");
  return result;
}

}  // namespace dae::cluster
