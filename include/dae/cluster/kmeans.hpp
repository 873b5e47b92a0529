// Lloyd k-means with greedy k-means++ seeding: the clustering step of the reference pipeline
// (k = 10 clusters of the 48,000 four-dimensional latent codes, 20 restarts, best by inertia).
//
// The algorithm follows scikit-learn's KMeans(algorithm="lloyd") step for step, so that the two
// can be compared restart for restart: greedy k-means++ (2 + floor(ln k) candidates per step drawn
// by D² weighting, the one with the lowest potential wins), Lloyd iterations that stop when no
// label changes or when the summed squared centre shift falls to tol times the mean per-feature
// variance, empty clusters moved to the points farthest from their centres, and one last
// assignment so the labels match the returned centres.
//
// Points are float, row-major (N, D); every sum (centres, inertia, potentials) is accumulated in
// double, and every label is that of an exact scan in double. D is a template parameter, so the
// inner distance loop is unrolled for the real case (D = 4); `kmeans(points, dim, options)` is
// the run-time-D entry point. Built for AVX2 + FMA (x86-64-v3), compile-time D gets vectorised
// kernels (see Lloyd) that give the same results, bit for bit, as the portable code.
//
// Determinism: all randomness comes from dae::Rng, restart r drawing from stream r of the seed,
// so a restart's result does not depend on the others. Work is split into fixed chunks of
// kChunk points; every sum is formed per chunk, then the chunk sums are added in chunk order. The
// grouping of the additions therefore never depends on the thread count, and the result is
// bit-identical for any `threads`. With at least as many restarts as threads, the restarts run in
// parallel (each one serially over its chunks); otherwise the chunks of one restart run in
// parallel. Either way the arithmetic is the same. The threads are those of dae's pool
// (backend/cpu/thread_pool.hpp), the layers' own: one threading mechanism in the library.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <thread>
#include <vector>


// The vectorised kernels (k-means++ distances, screened assignment) need AVX2 and FMA, i.e. a
// build for x86-64-v3 or later; elsewhere the portable code below runs, with the same results.
// Define DAE_CLUSTER_NO_SIMD to force the portable code.
#if defined(__AVX2__) && defined(__FMA__) && !defined(DAE_CLUSTER_NO_SIMD)
#include <immintrin.h>
#define DAE_CLUSTER_KMEANS_AVX2 1
#endif

#include "dae/backend/cpu/parallel.hpp"
#include "dae/error.hpp"
#include "dae/rng.hpp"

namespace dae::cluster {

/// Marks a run-time dimension in `kmeans<D>`: `kmeans<kDynamic>` reads D from its argument.
inline constexpr int kDynamic = 0;

/// Options of `kmeans`, with scikit-learn's meanings and defaults (except `n_init`, which is
/// explicit here: scikit-learn 1.2 defaults to 10).
struct KMeansOptions {
  int k = 8;              ///< number of clusters, 1 <= k <= N
  int n_init = 10;        ///< independent k-means++ restarts; the lowest inertia is kept
  int max_iter = 300;     ///< Lloyd iterations per restart, at most
  double tol = 1e-4;      ///< relative tolerance: tol * mean per-feature variance bounds the shift
  std::uint64_t seed = 0; ///< restart r draws from dae::Rng(seed, r)
  int threads = 0;        ///< worker threads; 0 = all available. Does not change the result.
};

/// What `kmeans` returns: the best restart (lowest inertia; the earliest one on a tie).
struct KMeansResult {
  int k = 0;                        ///< number of clusters
  int dim = 0;                      ///< dimension D of the points
  std::vector<double> centres;      ///< (k, D) row-major
  std::vector<int> labels;          ///< (N): index of the nearest centre of each point
  double inertia = 0.0;             ///< sum of squared distances of the points to their centres
  int iterations = 0;               ///< Lloyd iterations of the best restart
  bool converged = false;           ///< the best restart stopped before max_iter
  int best_init = 0;                ///< index of the best restart
  std::vector<double> init_inertia; ///< (n_init): final inertia of every restart
  std::vector<int> init_iterations; ///< (n_init): Lloyd iterations of every restart
  /// Conditions the caller may want to report (for example fewer distinct points than k); the
  /// library never prints them.
  std::vector<std::string> warnings;

  /// Coordinate `d` of centre `c`. @pre 0 <= c < k, 0 <= d < dim
  [[nodiscard]] double centre(int c, int d) const {
    return centres[static_cast<std::size_t>(c) * static_cast<std::size_t>(dim) +
                   static_cast<std::size_t>(d)];
  }
};

namespace detail {

/// Points per chunk: the unit of work and of summation (see the file comment).
inline constexpr std::ptrdiff_t kChunk = 2048;

/// The threads a fit uses: `threads` if set, otherwise all of dae's thread pool.
inline int resolve_threads(int threads) {
  return threads > 0 ? threads : dae::threads();
}

/// Calls body(i) for i in [0, count) on up to `threads` threads of dae's pool. The body must not
/// throw and must write only to locations owned by index i.
template <class Body>
void parallel_for(std::ptrdiff_t count, int threads, Body&& body) {
  dae::detail::cpu_pool().run_workers(count, threads, [&](std::int64_t i, int) { body(static_cast<std::ptrdiff_t>(i)); });
}

/// Calls body(i, worker) for i in [0, count) on up to `threads` threads of dae's pool, handing
/// the indices out one at a time (restarts differ in cost); `worker` in [0, threads) names the
/// thread, so that it can keep scratch space of its own. Which worker runs an index must not
/// change what the body computes. The body must not throw.
template <class Body>
void parallel_for_workers(int count, int threads, Body&& body) {
  dae::detail::cpu_pool().run_workers(count, threads, [&](std::int64_t i, int worker) { body(static_cast<int>(i), worker); });
}

/// Squared Euclidean distance between float point x and double centre c, summed over d in order.
/// This is the exact distance that defines every label and sum. Where the target has FMA the
/// accumulation is spelled as explicit fused multiply-adds (sum = fma(diff, diff, sum), which is
/// what a contracting compiler makes of `sum += diff * diff`), so that the vectorised forms below
/// (kSimd) round exactly as this scalar one does.
template <int D>
inline double squared_distance(const float* x, const double* c, int dim) {
  if constexpr (D > 0) dim = D;
  double sum = 0.0;
  for (int d = 0; d < dim; ++d) {
    const double diff = static_cast<double>(x[d]) - c[d];
#if defined(__FMA__)
    sum = std::fma(diff, diff, sum);
#else
    sum += diff * diff;
#endif
  }
  return sum;
}

/// One k-means problem: the points, their shape and the options. D > 0 fixes the dimension at
/// compile time; D == kDynamic takes it from `dim`. Indices are std::ptrdiff_t throughout.
///
/// The labels are always those of a plain full scan in double (`squared_distance`, nearest
/// centre, lowest index on a tie); the fast paths only find them more cheaply:
///
/// With AVX2 and a compile-time D (kSimd), assignment is *screened in float*: a per-point bound
/// (Hamerly's, folded into one gap) skips the points whose label cannot have changed; the others
/// are compared, 8 at a time, with all centres (rounded to float), keeping the nearest and the
/// runner-up. When the runner-up is farther than the nearest by more than a bound on the float
/// rounding error (see `assign_screened`), the float winner is the double winner; the rare other
/// points (near ties) are rescanned in double. The centre sums are then formed point by point in
/// index order, so they round exactly as in the portable path. k-means++ computes its double
/// distances 4 points at a time with the same operations, in the same order, as the scalar code.
///
/// Otherwise, assignment uses Hamerly's bounds (G. Hamerly, "Making k-means even faster", SDM
/// 2010) to skip points whose nearest centre provably cannot have changed. The bounds only ever
/// decide to skip a point when its current centre is nearer than every other one by a relative
/// margin (kMargin) far above the rounding error of the distances, and are widened by kSlack at
/// every update, so the labels are exactly those of a plain full scan (nearest centre, lowest index
/// on a tie): the iterations are Lloyd's, only cheaper. The sums that form the centres and the
/// inertia are always recomputed over all points, in chunk order, never updated incrementally.
template <int D>
class Lloyd {
 public:
  using Index = std::ptrdiff_t;

  Lloyd(const float* points, Index n, int dim, const KMeansOptions& options, bool fast)
      : x_(points), n_(n), dim_(D > 0 ? D : dim), k_(options.k), options_(options), fast_(fast),
        chunks_((n + kChunk - 1) / kChunk), slack_((dim_ + 16) * 1e-14) {
    tol_ = options.tol * mean_variance();
    if constexpr (kSimd) {
      // (D, padded) copy of the points, zero-padded to whole blocks of 8, for the kernels.
      padded_ = (n + 7) / 8 * 8;
      soa_.assign(static_cast<std::size_t>(D * padded_), 0.0f);
      for (Index i = 0; i < n; ++i)
        for (int d = 0; d < D; ++d) soa_[d * padded_ + i] = point(i)[d];
    }
  }

  /// The outcome of one restart, and its per-point state. A Run can be passed to `run` again:
  /// its buffers are reused.
  struct Run {
    std::vector<double> centres;  // (k, D)
    std::vector<int> labels;      // (N)
    std::vector<double> closest;  // (N) k-means++: D² to the nearest centre so far
    std::vector<double> upper;    // (N) upper bound on the distance to the own centre
    std::vector<double> lower;    // (N) lower bound on the distance to every other centre
    std::vector<float> gap;  // (N padded) kSimd: lower bound on lower - upper, see assign_screened
    double inertia = 0.0;
    int iterations = 0;
    bool converged = false;
    bool degenerate = false;  // k-means++ ran out of distinct points
  };

  /// Restart `restart` into `out`: k-means++ from Rng(seed, restart), then Lloyd iterations,
  /// with the chunks spread over `threads` threads. Nothing of out's previous contents but the
  /// capacity of its buffers is used.
  void run(int restart, int threads, Run& out) const {
    Rng rng(options_.seed, static_cast<std::uint64_t>(restart));
    out.degenerate = false;
    out.centres = seed_plus_plus(rng, threads, out.degenerate, out.closest);
    lloyd(out, threads);
  }

 private:
  static constexpr double kMargin = 1e-9;
  static constexpr Index kBlock = 8;
#if defined(DAE_CLUSTER_KMEANS_AVX2)
  static constexpr bool kSimd = D > 0;
#else
  static constexpr bool kSimd = false;
#endif
  // The kernels rely on every chunk starting at a multiple of 8 (the lanes of the interleaved
  // k-means++ sums are i mod 4; the float blocks are 8 points).
  static_assert(kChunk % 8 == 0);
  using Block = std::array<double, kBlock>;  // one value per point of a block

  [[nodiscard]] const float* point(Index i) const { return x_ + i * dim_; }
  [[nodiscard]] Index chunk_begin(Index c) const { return c * kChunk; }
  [[nodiscard]] Index chunk_end(Index c) const { return std::min(n_, (c + 1) * kChunk); }
  [[nodiscard]] double distance(const float* x, const double* c) const {
    return squared_distance<D>(x, c, dim_);
  }
  [[nodiscard]] double up(double v) const { return v + slack_ * std::abs(v); }
  [[nodiscard]] double down(double v) const { return v - slack_ * std::abs(v); }

  /// Mean over features of the population variance (numpy's var, ddof = 0), two passes, serial.
  [[nodiscard]] double mean_variance() const {
    std::vector<double> mean(dim_, 0.0);
    for (Index i = 0; i < n_; ++i)
      for (int d = 0; d < dim_; ++d) mean[d] += point(i)[d];
    for (double& m : mean) m /= static_cast<double>(n_);
    double total = 0.0;
    for (int d = 0; d < dim_; ++d) {
      double sum = 0.0;
      for (Index i = 0; i < n_; ++i) {
        const double diff = point(i)[d] - mean[d];
        sum += diff * diff;
      }
      total += sum / static_cast<double>(n_);
    }
    return total / dim_;
  }

  /// The first index i with prefix(i) > target and weight[i] > 0, where prefix sums `weight` in
  /// chunk order (chunk_sum[c] holding chunk c's own sum). Returns the last point of positive
  /// weight when rounding leaves target at or above the total.
  /// @pre some weight is positive
  Index search(const std::vector<double>& weight, const std::vector<double>& chunk_sum,
               double target) const {
    double before = 0.0;
    for (Index c = 0; c < chunks_; ++c) {
      const double after = before + chunk_sum[c];
      if (after > target) {
        double running = before;
        for (Index i = chunk_begin(c); i < chunk_end(c); ++i) {
          running += weight[i];
          if (running > target && weight[i] > 0.0) return i;
        }
      }
      before = after;
    }
    Index i = n_ - 1;
    while (i > 0 && !(weight[i] > 0.0)) --i;
    return i;
  }

  /// Greedy k-means++ (Arthur & Vassilvitskii 2007) with scikit-learn's local trials: each new
  /// centre is the best of 2 + floor(ln k) candidates drawn with probability proportional to D²,
  /// the squared distance to the nearest centre so far; "best" is the lowest potential (sum of
  /// D² after adding the candidate).
  std::vector<double> seed_plus_plus(Rng& rng, int threads, bool& degenerate,
                                     std::vector<double>& closest) const {
    const Index n = n_;
    std::vector<double> centres(k_ * dim_);
    auto set_centre = [&](int c, Index i) {
      for (int d = 0; d < dim_; ++d) centres[c * dim_ + d] = point(i)[d];
    };
    const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k_)));
    closest.resize(n);                              // (N): D² to the nearest centre so far
    std::vector<double> chunk_sum(chunks_);         // (chunks) sums of `closest`
    std::vector<double> trial_chunk(trials * chunks_);  // (trials, chunks) potentials by chunk
    std::vector<Index> ids(trials);
    std::vector<double> trial_point(trials * dim_);  // (trials, D) the candidates, in double

    set_centre(0, static_cast<Index>(rng.below(static_cast<std::uint64_t>(n))));
    parallel_for(chunks_, threads, [&](Index ch) {
      chunk_sum[ch] = first_distances(ch, centres.data(), closest.data());
    });
    double potential = std::accumulate(chunk_sum.begin(), chunk_sum.end(), 0.0);

    for (int c = 1; c < k_; ++c) {
      if (!(potential > 0.0)) {
        // Every point coincides with a chosen centre: fewer distinct points than k. The rest are
        // uniform draws (duplicates); Lloyd's empty-cluster relocation keeps the output valid.
        degenerate = true;
        set_centre(c, static_cast<Index>(rng.below(static_cast<std::uint64_t>(n))));
        continue;
      }
      for (int t = 0; t < trials; ++t) {
        ids[t] = search(closest, chunk_sum, rng.uniform_double() * potential);
        for (int d = 0; d < dim_; ++d) trial_point[t * dim_ + d] = point(ids[t])[d];
      }
      parallel_for(chunks_, threads, [&](Index ch) {
        trial_potentials(ch, trial_point.data(), trials, closest.data(), trial_chunk.data() + ch);
      });
      int best = 0;
      double best_potential = std::numeric_limits<double>::infinity();
      for (int t = 0; t < trials; ++t) {
        double pot = 0.0;
        for (Index ch = 0; ch < chunks_; ++ch) pot += trial_chunk[t * chunks_ + ch];
        if (pot < best_potential) {
          best_potential = pot;
          best = t;
        }
      }
      potential = best_potential;
      // The winner's distances are computed again rather than kept for every candidate: the
      // same operations give the same values, and trials-fold fewer stores.
      parallel_for(chunks_, threads, [&](Index ch) {
        take_closer(ch, trial_point.data() + best * dim_, closest.data());
      });
      std::copy_n(trial_chunk.begin() + best * chunks_, chunks_, chunk_sum.begin());
      set_centre(c, ids[best]);
    }
    return centres;
  }

#if defined(DAE_CLUSTER_KMEANS_AVX2)
  /// Squared distances from the 4 points i..i+3 to y (D broadcast coordinates): the operations
  /// of squared_distance, in its order, one point per lane.
  [[nodiscard]] __m256d distance4(Index i, const __m256d* y) const {
    __m256d sum = _mm256_setzero_pd();
    for (int d = 0; d < D; ++d) {
      const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(soa_.data() + d * padded_ + i));
      const __m256d diff = _mm256_sub_pd(x, y[d]);
      sum = _mm256_fmadd_pd(diff, diff, sum);
    }
    return sum;
  }
#endif

  /// closest[i] = D² from point i to y, over chunk ch; returns their sum, in order.
  double first_distances(Index ch, const double* y, double* closest) const {
    const Index begin = chunk_begin(ch), end = chunk_end(ch);
    Index i = begin;
#if defined(DAE_CLUSTER_KMEANS_AVX2)
    if constexpr (kSimd) {
      __m256d yv[D > 0 ? D : 1];
      for (int d = 0; d < D; ++d) yv[d] = _mm256_set1_pd(y[d]);
      for (; i + 4 <= end; i += 4) _mm256_storeu_pd(closest + i, distance4(i, yv));
    }
#endif
    for (; i < end; ++i) closest[i] = distance(point(i), y);
    double sum = 0.0;
    for (i = begin; i < end; ++i) sum += closest[i];
    return sum;
  }

  /// The potential of chunk ch with y added as a centre: the sum of min(closest[i], D² to y).
  /// Four interleaved partial sums (by i mod 4, one per lane) break the addition chain; the
  /// grouping is fixed by the chunk, so it is still independent of the thread count.
  double trial_potential(Index ch, const double* y, const double* closest) const {
    const Index begin = chunk_begin(ch), end = chunk_end(ch);
    double sum[4] = {0.0, 0.0, 0.0, 0.0};
    Index i = begin;
#if defined(DAE_CLUSTER_KMEANS_AVX2)
    if constexpr (kSimd) {
      __m256d yv[D > 0 ? D : 1];
      for (int d = 0; d < D; ++d) yv[d] = _mm256_set1_pd(y[d]);
      __m256d acc = _mm256_setzero_pd();
      // _mm256_min_pd(a, b) is a < b ? a : b: (distance, closest) is std::min(closest, distance).
      for (; i + 4 <= end; i += 4)
        acc = _mm256_add_pd(acc, _mm256_min_pd(distance4(i, yv), _mm256_loadu_pd(closest + i)));
      _mm256_storeu_pd(sum, acc);
    }
#endif
    for (; i < end; ++i) sum[i & 3] += std::min(closest[i], distance(point(i), y));
    return (sum[0] + sum[1]) + (sum[2] + sum[3]);
  }

  /// trial_potential of chunk ch for each of the `trials` candidates ys ((trials, D)), written to
  /// out[t * chunks]. With kSimd, up to 4 candidates share one pass over the points.
  void trial_potentials(Index ch, const double* ys, int trials, const double* closest,
                        double* out) const {
#if defined(DAE_CLUSTER_KMEANS_AVX2)
    if constexpr (kSimd) {
      int t = 0;
      for (; t + 4 <= trials; t += 4)
        fused_potentials<4>(ch, ys + t * D, closest, out + t * chunks_);
      switch (trials - t) {
        case 3:
          fused_potentials<3>(ch, ys + t * D, closest, out + t * chunks_);
          break;
        case 2:
          fused_potentials<2>(ch, ys + t * D, closest, out + t * chunks_);
          break;
        case 1:
          fused_potentials<1>(ch, ys + t * D, closest, out + t * chunks_);
          break;
        default:
          break;
      }
    } else  // discarded when kSimd: nvcc warns of an unreachable loop after a return
#endif
    {
      for (int t = 0; t < trials; ++t) out[t * chunks_] = trial_potential(ch, ys + t * dim_, closest);
    }
  }

#if defined(DAE_CLUSTER_KMEANS_AVX2)
  /// trial_potential for T candidates at once: the same operations per candidate, in the same
  /// order (distance4's, then the lane sums by i mod 4), with each point loaded once.
  template <int T>
  void fused_potentials(Index ch, const double* ys, const double* closest, double* out) const {
    const Index begin = chunk_begin(ch), end = chunk_end(ch);
    __m256d y[T][D];
    for (int t = 0; t < T; ++t)
      for (int d = 0; d < D; ++d) y[t][d] = _mm256_set1_pd(ys[t * D + d]);
    __m256d acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_pd();
    Index i = begin;
    for (; i + 4 <= end; i += 4) {
      __m256d x[D];
      for (int d = 0; d < D; ++d)
        x[d] = _mm256_cvtps_pd(_mm_loadu_ps(soa_.data() + d * padded_ + i));
      const __m256d near = _mm256_loadu_pd(closest + i);
      for (int t = 0; t < T; ++t) {
        __m256d sum = _mm256_setzero_pd();
        for (int d = 0; d < D; ++d) {
          const __m256d diff = _mm256_sub_pd(x[d], y[t][d]);
          sum = _mm256_fmadd_pd(diff, diff, sum);
        }
        acc[t] = _mm256_add_pd(acc[t], _mm256_min_pd(sum, near));
      }
    }
    for (int t = 0; t < T; ++t) {
      double sum[4];
      _mm256_storeu_pd(sum, acc[t]);
      for (Index j = i; j < end; ++j)
        sum[j & 3] += std::min(closest[j], distance(point(j), ys + t * D));
      out[t * chunks_] = (sum[0] + sum[1]) + (sum[2] + sum[3]);
    }
  }
#endif

  /// closest[i] = min(closest[i], D² from point i to y), over chunk ch.
  void take_closer(Index ch, const double* y, double* closest) const {
    const Index end = chunk_end(ch);
    Index i = chunk_begin(ch);
#if defined(DAE_CLUSTER_KMEANS_AVX2)
    if constexpr (kSimd) {
      __m256d yv[D > 0 ? D : 1];
      for (int d = 0; d < D; ++d) yv[d] = _mm256_set1_pd(y[d]);
      for (; i + 4 <= end; i += 4)
        _mm256_storeu_pd(closest + i,
                         _mm256_min_pd(distance4(i, yv), _mm256_loadu_pd(closest + i)));
    }
#endif
    for (; i < end; ++i) closest[i] = std::min(closest[i], distance(point(i), y));
  }

  /// How far each centre moved in the last update, for the bounds: delta (k) and, for each
  /// centre, the largest move among the others.
  struct Moves {
    std::vector<double> delta;  // (k) distance each centre moved (an upper bound)
    std::vector<double> other;  // (k) max over j != c of delta[j]
  };

  /// Labels every point with its nearest centre (the lowest index on a tie), skipping those the
  /// bounds prove unchanged. `moves` is null on the first pass (no bounds yet). With `sums`,
  /// also forms each chunk's per-cluster coordinate sums and counts ((chunks, k, D + 1)).
  /// Writes the number of changed labels per chunk to `changed`.
  void assign(const std::vector<double>& centres, const Moves* moves, Run& state,
              std::vector<double>* sums, std::vector<Index>& changed, int threads) const {
#if defined(DAE_CLUSTER_KMEANS_AVX2)
    if constexpr (kSimd) {
      if (fast_) {
        assign_screened(centres, moves, state, sums, changed, threads);
        return;
      }
    }
#endif
    const Index stride = k_ * (dim_ + 1);
    // Half the distance from each centre to its nearest other centre (a lower bound).
    std::vector<double> half(k_, std::numeric_limits<double>::infinity());
    for (int a = 0; a < k_; ++a)
      for (int b = a + 1; b < k_; ++b) {
        double d2 = 0.0;
        for (int d = 0; d < dim_; ++d) {
          const double diff = centres[a * dim_ + d] - centres[b * dim_ + d];
          d2 += diff * diff;
        }
        const double gap = 0.5 * down(std::sqrt(d2));
        half[a] = std::min(half[a], gap);
        half[b] = std::min(half[b], gap);
      }
    const bool bounded = fast_ && moves != nullptr;
    parallel_for(chunks_, threads, [&](Index ch) {
      // Pass 1: the bounds test. Points it cannot settle go to `todo`.
      std::vector<Index> todo;
      todo.reserve(kChunk);
      for (Index i = chunk_begin(ch); i < chunk_end(ch); ++i) {
        if (bounded) {
          const int old = state.labels[i];
          double& u = state.upper[i];
          double& l = state.lower[i];
          u = up(u + moves->delta[old]);
          l = down(l - moves->other[old]);
          const double bound = std::max(l, half[old]);
          if (u * (1.0 + kMargin) < bound) continue;
          u = up(std::sqrt(distance(point(i), centres.data() + old * dim_)));
          if (u * (1.0 + kMargin) < bound) continue;
        }
        todo.push_back(i);
      }
      // Pass 2: full scans, kBlock points at a time so the argmin chains run side by side.
      Index moved = 0;
      std::vector<double> xs(dim_ * kBlock);       // (D, kBlock)
      std::vector<double> scratch(k_ * kBlock);    // (k, kBlock)
      const auto count = static_cast<Index>(todo.size());
      for (Index start = 0; start < count; start += kBlock) {
        const Index used = std::min<Index>(kBlock, count - start);
        for (Index p = 0; p < kBlock; ++p) {  // a short block repeats its last point
          const float* x = point(todo[start + std::min(p, used - 1)]);
          for (int d = 0; d < dim_; ++d) xs[d * kBlock + p] = x[d];
        }
        Block best_distance, best, second;
        nearest_two(centres.data(), xs.data(), scratch.data(), best_distance, best, second);
        for (Index p = 0; p < used; ++p) {
          const Index i = todo[start + p];
          const int label = static_cast<int>(best[p]);
          state.upper[i] = up(std::sqrt(best_distance[p]));
          state.lower[i] = down(std::sqrt(second[p]));
          moved += state.labels[i] != label;
          state.labels[i] = label;
        }
      }
      changed[ch] = moved;
      if (sums != nullptr) {
        double* s = sums->data() + ch * stride;
        std::fill(s, s + stride, 0.0);
        for (Index i = chunk_begin(ch); i < chunk_end(ch); ++i) {
          double* row = s + state.labels[i] * (dim_ + 1);
          for (int d = 0; d < dim_; ++d) row[d] += point(i)[d];
          row[dim_] += 1.0;
        }
      }
    });
  }

  /// The nearest centre to x in double (the lowest index on a tie): the reference scan.
  [[nodiscard]] int nearest(const float* x, const double* centres) const {
    int label = 0;
    double best = distance(x, centres);
    for (int c = 1; c < k_; ++c) {
      const double dist = distance(x, centres + c * dim_);
      if (dist < best) {
        best = dist;
        label = c;
      }
    }
    return label;
  }

#if defined(DAE_CLUSTER_KMEANS_AVX2)
  /// For each 8-bit mask, the positions of its set bits as bytes (lowest first), zero-filled.
  static constexpr std::array<std::uint64_t, 256> kSetBits = [] {
    std::array<std::uint64_t, 256> table{};
    for (unsigned mask = 0; mask < 256; ++mask) {
      int count = 0;
      for (unsigned bit = 0; bit < 8; ++bit)
        if (mask >> bit & 1u) table[mask] |= std::uint64_t{bit} << (8 * count++);
    }
    return table;
  }();

  /// `assign` screened in float (kSimd). For each block of 8 points, the float squared distance
  /// to every centre (rounded to float), the nearest (lowest index among equals) and the
  /// runner-up.
  ///
  /// Error bound: with u = 2^-24, x a float point, c a double centre and S the exact squared
  /// distance, the float value f (c rounded, D differences, D squares, D - 1 fused additions)
  /// satisfies |f - S| <= (D + 3) u S + u |c|² to first order, and the double value that defines
  /// the labels is within (D + 1) 2^-53 S of S. So when the runner-up's f2 exceeds the nearest's
  /// f1 by more than e(f2) = rel f2 + abs, with rel = (8 D + 32) u and abs = 16 u max|c|² plus a
  /// floor for underflow (both at least 4 times the bound), the float winner is strictly the
  /// nearest in double. Otherwise (near ties, overflow to inf, NaN from inf - inf) the point is
  /// rescanned in double by `nearest`.
  ///
  /// Skipping (Hamerly's bounds, folded into one number per point): gap[i] is a lower bound on
  /// (true distance to the nearest other centre) - (true distance to the own centre a), less
  /// 2^-20 of their sum, set when the point is screened: sqrt(f2 - e(f2)) and sqrt(f1 + e(f1))
  /// widened by 2^-20 (-1 for a point rescanned in double). Each centre update lowers it by
  /// delta[a] + max over c != a of delta[c] (the triangle inequality on both distances; rounded
  /// so that it never rises). A point whose gap is still positive keeps its label: it is nearer
  /// its own centre than any other by a relative 2^-20, far above the double rounding, so a full
  /// double scan would agree. The others are gathered, 8 at a time, for the screening.
  ///
  /// Labels, changed counts and, with `sums`, each chunk's per-cluster sums are formed point by
  /// point in index order, exactly as in the portable path.
  void assign_screened(const std::vector<double>& centres, const Moves* moves, Run& state,
                       std::vector<double>* sums, std::vector<Index>& changed, int threads) const {
    constexpr float kUnit = 0x1p-24f;
    constexpr float kFloatMax = std::numeric_limits<float>::max();
    const Index stride = k_ * (D + 1);
    std::vector<float> cf(static_cast<std::size_t>(k_ * D));  // (k, D) the centres in float
    double radius2 = 0.0;
    for (int c = 0; c < k_; ++c) {
      double r2 = 0.0;
      for (int d = 0; d < D; ++d) {
        const double v = centres[c * D + d];
        cf[c * D + d] = static_cast<float>(std::clamp<double>(v, -kFloatMax, kFloatMax));
        r2 += v * v;
      }
      radius2 = std::max(radius2, r2);
    }
    const __m256 rel = _mm256_set1_ps((8 * D + 32) * kUnit);
    const __m256 abs = _mm256_set1_ps(
        static_cast<float>(std::min<double>(16.0 * 0x1p-24 * 1.01 * radius2, kFloatMax)) + 1e-35f);
    const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    const __m256 zero = _mm256_setzero_ps();
    const __m256 one = _mm256_set1_ps(1.0f);
    constexpr float kShrink = 1.0f - 0x1p-22f;
    const __m256 shrink = _mm256_set1_ps(kShrink);
    const __m256 widen_down = _mm256_set1_ps(1.0f - 0x1p-20f);
    const __m256 widen_up = _mm256_set1_ps(1.0f + 0x1p-20f);
    // What the gap of a point of cluster c loses to this update (moves->delta is already an
    // upper bound on each move), rounded up to float; on the first pass there are no gaps.
    std::vector<float> drop(static_cast<std::size_t>(k_), std::numeric_limits<float>::infinity());
    if (moves != nullptr)
      for (int c = 0; c < k_; ++c) {
        const double loss = moves->delta[c] + moves->other[c];
        if (loss < 0.25 * kFloatMax) drop[c] = static_cast<float>(loss) * (1.0f + 0x1p-22f);
      }
    drop.resize(std::max<std::size_t>(drop.size(), 16), 0.0f);
    const __m256 drop_low = _mm256_loadu_ps(drop.data());
    const __m256 drop_high = _mm256_loadu_ps(drop.data() + 8);
    const __m256i seven = _mm256_set1_epi32(7);
    const int all_sure = k_ == 1 ? 0xFF : 0;  // one centre: no runner-up, nothing to decide
    const float* xs = soa_.data();
    const float* centre_f = cf.data();
    const double* centre_d = centres.data();
    const float* drops = drop.data();
    int* labels = state.labels.data();
    float* gaps = state.gap.data();
    parallel_for(chunks_, threads, [=, this, &changed](Index ch) {  // by value: no reloads
      const Index begin = chunk_begin(ch), end = chunk_end(ch);
      // Pass 1: lower the gaps; the points whose gap is no longer positive go to `todo` (as
      // offsets from `begin`).
      alignas(32) int todo[kChunk + 8];
      Index count = 0;
      if (moves == nullptr) {
        for (Index i = begin; i < end; ++i) todo[count++] = static_cast<int>(i - begin);
      } else {
        Index g = begin;
        for (; g + 8 <= end; g += 8) {
          const __m256i label = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(labels + g));
          __m256 loss;
          if (k_ <= 8) {  // the table fits one register: a permute, not a gather
            loss = _mm256_permutevar8x32_ps(drop_low, label);
          } else if (k_ <= 16) {
            loss = _mm256_blendv_ps(_mm256_permutevar8x32_ps(drop_low, label),
                                    _mm256_permutevar8x32_ps(drop_high, label),
                                    _mm256_castsi256_ps(_mm256_cmpgt_epi32(label, seven)));
          } else {
            loss = _mm256_i32gather_ps(drops, label, 4);
          }
          const __m256 gap = _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(gaps + g), shrink), loss);
          _mm256_storeu_ps(gaps + g, gap);
          // Append the points whose gap is no longer positive, without branches: the table
          // lists the set bits of each 8-bit mask as bytes.
          const unsigned open =
              ~static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(gap, zero, _CMP_GT_OQ))) &
              0xFFu;
          const __m128i lanes =
              _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kSetBits.data() + open));
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(todo + count),
                              _mm256_add_epi32(_mm256_cvtepu8_epi32(lanes),
                                               _mm256_set1_epi32(static_cast<int>(g - begin))));
          count += __builtin_popcount(open);
        }
        for (; g < end; ++g) {
          gaps[g] = gaps[g] * kShrink - drops[labels[g]];
          if (!(gaps[g] > 0.0f)) todo[count++] = static_cast<int>(g - begin);
        }
      }
      // Pass 2: screen the points of `todo`, 8 at a time (a short last block repeats a point).
      Index moved = 0;
      for (Index t = count; t % 8 != 0; ++t) todo[t] = todo[count - 1];
      alignas(32) int block_label[8];
      alignas(32) float block_gap[8];
      for (Index t = 0; t < count; t += 8) {
        const __m256i ids = _mm256_load_si256(reinterpret_cast<const __m256i*>(todo + t));
        __m256 x[D];
        for (int d = 0; d < D; ++d) x[d] = _mm256_i32gather_ps(xs + d * padded_ + begin, ids, 4);
        __m256 best = inf, second = inf, index = zero, c_index = zero;
        for (int c = 0; c < k_; ++c) {
          const float* y = centre_f + c * D;
          __m256 diff = _mm256_sub_ps(x[0], _mm256_broadcast_ss(y));
          __m256 dist = _mm256_mul_ps(diff, diff);
          for (int d = 1; d < D; ++d) {
            diff = _mm256_sub_ps(x[d], _mm256_broadcast_ss(y + d));
            dist = _mm256_fmadd_ps(diff, diff, dist);
          }
          const __m256 closer = _mm256_cmp_ps(dist, best, _CMP_LT_OQ);
          second = _mm256_min_ps(second, _mm256_max_ps(best, dist));
          best = _mm256_min_ps(best, dist);
          index = _mm256_blendv_ps(index, c_index, closer);
          c_index = _mm256_add_ps(c_index, one);
        }
        const __m256 error2 = _mm256_fmadd_ps(rel, second, abs);
        const __m256 sure_mask = _mm256_cmp_ps(_mm256_sub_ps(second, best), error2, _CMP_GT_OQ);
        const int sure = all_sure | _mm256_movemask_ps(sure_mask);
        const __m256 far = _mm256_sqrt_ps(_mm256_max_ps(_mm256_sub_ps(second, error2), zero));
        const __m256 near = _mm256_sqrt_ps(_mm256_add_ps(best, _mm256_fmadd_ps(rel, best, abs)));
        const __m256 gap = _mm256_fmsub_ps(far, widen_down, _mm256_mul_ps(near, widen_up));
        _mm256_store_ps(block_gap, _mm256_blendv_ps(_mm256_set1_ps(-1.0f), gap, sure_mask));
        _mm256_store_si256(reinterpret_cast<__m256i*>(block_label), _mm256_cvttps_epi32(index));
        const Index used = std::min<Index>(8, count - t);
        for (Index p = 0; p < used; ++p) {
          const Index i = begin + todo[t + p];
          const int label = (sure >> p) & 1 ? block_label[p] : nearest(point(i), centre_d);
          moved += labels[i] != label;
          labels[i] = label;
          gaps[i] = block_gap[p];
        }
      }
      changed[ch] = moved;
      // Pass 3: the chunk's per-cluster sums, point by point in index order (in 32-byte rows
      // for D = 4, so that each addition is one aligned load-add-store), then copied out.
      if (sums != nullptr) {
        const float* points = x_;
        std::vector<Index> members(static_cast<std::size_t>(k_), 0);
        double* s = sums->data() + ch * stride;
        if constexpr (D == 4) {
          struct alignas(32) Row {
            double v[4];
          };
          std::vector<Row> row(static_cast<std::size_t>(k_), Row{{0.0, 0.0, 0.0, 0.0}});
          for (Index i = begin; i < end; ++i) {
            const int label = labels[i];
            double* r = row[label].v;
            _mm256_store_pd(
                r, _mm256_add_pd(_mm256_load_pd(r), _mm256_cvtps_pd(_mm_loadu_ps(points + i * 4))));
            ++members[label];
          }
          for (int c = 0; c < k_; ++c) std::copy_n(row[c].v, 4, s + c * 5);
        } else {
          std::vector<double> row(static_cast<std::size_t>(k_ * D), 0.0);
          for (Index i = begin; i < end; ++i) {
            const int label = labels[i];
            for (int d = 0; d < D; ++d) row[label * D + d] += points[i * D + d];
            ++members[label];
          }
          for (int c = 0; c < k_; ++c) std::copy_n(row.data() + c * D, D, s + c * (D + 1));
        }
        // Counts of at most kChunk: exactly the sums of 1.0 of the portable path.
        for (int c = 0; c < k_; ++c) s[c * (D + 1) + D] = static_cast<double>(members[c]);
      }
    });
  }
#endif

  /// For kBlock points (xs, (D, kBlock)): the squared distance to the nearest centre, its index
  /// (as a double; the lowest index on a tie) and the squared distance to the runner-up. Each
  /// distance is summed over d in order, exactly as `distance`. The loops run across the block's
  /// points and use only min and max (the runner-up is min(second, max(best, v))), so they
  /// vectorise without branches; the index is then the first centre at the minimum.
  void nearest_two(const double* centres, const double* xs, double* scratch, Block& best_distance,
                   Block& best, Block& second) const {
    double* dist = scratch;  // (k, kBlock)
    for (int c = 0; c < k_; ++c) {
      Block row{};
      for (int d = 0; d < dim_; ++d) {
        const double centre = centres[c * dim_ + d];
        for (Index p = 0; p < kBlock; ++p) {
          const double diff = xs[d * kBlock + p] - centre;
          row[p] += diff * diff;
        }
      }
      std::copy(row.begin(), row.end(), dist + c * kBlock);
    }
    Block bd, sd;
    for (Index p = 0; p < kBlock; ++p) {
      bd[p] = dist[p];
      sd[p] = std::numeric_limits<double>::infinity();
    }
    for (int c = 1; c < k_; ++c)
      for (Index p = 0; p < kBlock; ++p) {
        const double v = dist[c * kBlock + p];
        sd[p] = std::min(sd[p], std::max(bd[p], v));
        bd[p] = std::min(bd[p], v);
      }
    Block index{};
    for (int c = k_ - 1; c >= 0; --c)
      for (Index p = 0; p < kBlock; ++p) index[p] = dist[c * kBlock + p] == bd[p] ? c : index[p];
    best_distance = bd;
    best = index;
    second = sd;
  }

  /// Sum over points of the squared distance to their centre, by chunks in order.
  double inertia(const std::vector<double>& centres, const std::vector<int>& labels,
                 int threads) const {
    std::vector<double> chunk_inertia(chunks_);
    parallel_for(chunks_, threads, [&](Index ch) {
      double sum = 0.0;
      for (Index i = chunk_begin(ch); i < chunk_end(ch); ++i)
        sum += distance(point(i), centres.data() + labels[i] * dim_);
      chunk_inertia[ch] = sum;
    });
    return std::accumulate(chunk_inertia.begin(), chunk_inertia.end(), 0.0);
  }

  /// Moves empty clusters to the points farthest from their (pre-update) centres, as
  /// scikit-learn does: the donor cluster loses the point from its sums, the empty one gets it
  /// alone. Farthest first, the lower index first on a tie; a donor must keep at least one point,
  /// which is always possible because N >= k. Returns whether anything moved.
  bool relocate_empty(const std::vector<double>& old_centres, const std::vector<int>& labels,
                      std::vector<double>& sums) const {
    auto count = [&](int c) -> double& { return sums[c * (dim_ + 1) + dim_]; };
    std::vector<int> empty;
    for (int c = 0; c < k_; ++c)
      if (count(c) == 0.0) empty.push_back(c);
    if (empty.empty()) return false;
    std::vector<double> far(n_);
    for (Index i = 0; i < n_; ++i) far[i] = distance(point(i), old_centres.data() + labels[i] * dim_);
    std::vector<Index> order(n_);
    std::iota(order.begin(), order.end(), Index{0});
    std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return far[a] > far[b]; });
    std::size_t next = 0;
    for (const int target : empty) {
      while (count(labels[order[next]]) <= 1.0) ++next;
      const Index i = order[next++];
      double* from = sums.data() + labels[i] * (dim_ + 1);
      double* to = sums.data() + target * (dim_ + 1);
      for (int d = 0; d < dim_; ++d) {
        from[d] -= point(i)[d];
        to[d] = point(i)[d];
      }
      from[dim_] -= 1.0;
      to[dim_] = 1.0;
    }
    return true;
  }

  /// Lloyd iterations from out.centres, as scikit-learn's _kmeans_single_lloyd: assign, update
  /// (relocating empty clusters), stop when no label changed or the summed squared centre shift
  /// is at most tol; then, unless no label changed, assign once more to the final centres.
  void lloyd(Run& out, int threads) const {
    const Index stride = k_ * (dim_ + 1);
    out.labels.assign(n_, -1);
    if (kSimd && fast_) {
      out.gap.assign(padded_, -1.0f);
    } else {
      out.upper.assign(n_, 0.0);
      out.lower.assign(n_, 0.0);
    }
    std::vector<double> partial(chunks_ * stride);  // (chunks, k, D + 1)
    std::vector<double> sums(stride);               // (k, D + 1)
    std::vector<Index> changed(chunks_);
    std::vector<double> next(k_ * dim_);
    Moves moves{std::vector<double>(k_), std::vector<double>(k_)};
    bool strict = false;
    int iteration = 0;
    while (iteration < options_.max_iter) {
      assign(out.centres, iteration == 0 ? nullptr : &moves, out, &partial, changed, threads);
      ++iteration;
      std::fill(sums.begin(), sums.end(), 0.0);
      for (Index ch = 0; ch < chunks_; ++ch)
        for (Index j = 0; j < stride; ++j) sums[j] += partial[ch * stride + j];
      const bool relocated = relocate_empty(out.centres, out.labels, sums);
      double shift = 0.0;
      for (int c = 0; c < k_; ++c) {
        const double count = sums[c * (dim_ + 1) + dim_];
        double moved2 = 0.0;
        for (int d = 0; d < dim_; ++d) {
          next[c * dim_ + d] = sums[c * (dim_ + 1) + d] / count;
          const double diff = next[c * dim_ + d] - out.centres[c * dim_ + d];
          moved2 = std::fma(diff, diff, moved2);  // fused whatever the flags: the CUDA k-means' rounding
        }
        shift += moved2;
        moves.delta[c] = up(std::sqrt(moved2));
      }
      for (int c = 0; c < k_; ++c) {
        double other = 0.0;
        for (int j = 0; j < k_; ++j)
          if (j != c) other = std::max(other, moves.delta[j]);
        moves.other[c] = other;
      }
      out.centres.swap(next);
      const Index moved = std::accumulate(changed.begin(), changed.end(), Index{0});
      // No label changed: the centres are the means of the clusters of these labels, so the
      // labels already match them (unless an empty cluster was just moved, changing a centre).
      if (moved == 0 && !relocated) {
        strict = true;
        break;
      }
      if (shift <= tol_) break;
    }
    out.iterations = iteration;
    out.converged = strict || iteration < options_.max_iter;
    if (!strict) assign(out.centres, &moves, out, nullptr, changed, threads);
    out.inertia = inertia(out.centres, out.labels, threads);
  }

  const float* x_;
  Index n_;
  int dim_;
  int k_;
  KMeansOptions options_;
  bool fast_;
  Index chunks_;
  double slack_;
  double tol_ = 0.0;
  Index padded_ = 0;        // kSimd: N rounded up to a multiple of 8
  std::vector<float> soa_;  // kSimd: (D, padded_) the points, by coordinate
};

/// Checks every precondition of `kmeans`; throws dae::Error naming the first one broken.
inline void validate(std::span<const float> points, int dim, const KMeansOptions& o) {
  if (dim <= 0) throw Error("kmeans: dimension D = " + std::to_string(dim) + " must be at least 1");
  if (points.size() % static_cast<std::size_t>(dim) != 0)
    throw Error("kmeans: " + std::to_string(points.size()) + " values are not a whole number of " +
                std::to_string(dim) + "-dimensional points");
  const auto n = points.size() / static_cast<std::size_t>(dim);
  if (n == 0) throw Error("kmeans: no points (N = 0)");
  if (o.k <= 0) throw Error("kmeans: k = " + std::to_string(o.k) + " must be at least 1");
  if (static_cast<std::size_t>(o.k) > n)
    throw Error("kmeans: k = " + std::to_string(o.k) + " is more than the number of points N = " +
                std::to_string(n));
  if (o.n_init <= 0) throw Error("kmeans: n_init = " + std::to_string(o.n_init) + " must be at least 1");
  if (o.max_iter <= 0)
    throw Error("kmeans: max_iter = " + std::to_string(o.max_iter) + " must be at least 1");
  if (!(o.tol >= 0.0) || !std::isfinite(o.tol))
    throw Error("kmeans: tol = " + std::to_string(o.tol) + " must be finite and non-negative");
  if (o.threads < 0) throw Error("kmeans: threads = " + std::to_string(o.threads) + " must be >= 0");
  for (std::size_t j = 0; j < points.size(); ++j)
    if (!std::isfinite(points[j]))
      throw Error("kmeans: point " + std::to_string(j / static_cast<std::size_t>(dim)) +
                  ", coordinate " + std::to_string(j % static_cast<std::size_t>(dim)) + " is " +
                  (std::isnan(points[j]) ? "NaN" : "infinite"));
}

/// kmeans for dimension D (or kDynamic). `fast = false` turns off the screened assignment and
/// Hamerly's bounds (every pass a plain full scan in double), so that tests can check the fast
/// iterations against plain ones.
template <int D>
KMeansResult kmeans_impl(std::span<const float> points, int dim, const KMeansOptions& options,
                         bool fast = true) {
  validate(points, dim, options);
  const auto n = static_cast<std::ptrdiff_t>(points.size() / static_cast<std::size_t>(dim));
  const Lloyd<D> problem(points.data(), n, dim, options, fast);
  const int threads = resolve_threads(options.threads);
  using Run = typename Lloyd<D>::Run;
  const int n_init = options.n_init;
  // With at least as many restarts as threads, each thread runs whole restarts (reusing its
  // scratch Run, keeping its best one); otherwise the restarts run in turn, their chunks spread.
  const bool by_restart = n_init >= threads && threads > 1;
  const int workers = by_restart ? threads : 1;
  std::vector<Run> scratch(static_cast<std::size_t>(workers));
  std::vector<Run> best(static_cast<std::size_t>(workers));
  std::vector<int> best_index(static_cast<std::size_t>(workers), -1);
  std::vector<double> init_inertia(static_cast<std::size_t>(n_init));
  std::vector<int> init_iterations(static_cast<std::size_t>(n_init));
  std::vector<char> init_degenerate(static_cast<std::size_t>(n_init), 0);
  auto restart = [&](int r, int worker, int inner_threads) {
    const auto w = static_cast<std::size_t>(worker);
    Run& run = scratch[w];
    problem.run(r, inner_threads, run);
    init_inertia[static_cast<std::size_t>(r)] = run.inertia;
    init_iterations[static_cast<std::size_t>(r)] = run.iterations;
    init_degenerate[static_cast<std::size_t>(r)] = run.degenerate ? 1 : 0;
    if (best_index[w] < 0 || run.inertia < best[w].inertia ||
        (run.inertia == best[w].inertia && r < best_index[w])) {
      std::swap(run, best[w]);  // the old best's buffers become the next scratch
      best_index[w] = r;
    }
  };
  if (by_restart) {
    parallel_for_workers(n_init, threads, [&](int r, int worker) { restart(r, worker, 1); });
  } else {
    for (int r = 0; r < n_init; ++r) restart(r, 0, threads);
  }
  // The lowest inertia, the earliest restart on a tie: what a serial scan would keep.
  std::size_t pick = 0;
  for (std::size_t w = 1; w < best.size(); ++w)
    if (best_index[w] >= 0 &&
        (best_index[pick] < 0 || best[w].inertia < best[pick].inertia ||
         (best[w].inertia == best[pick].inertia && best_index[w] < best_index[pick])))
      pick = w;
  KMeansResult result;
  result.k = options.k;
  result.dim = dim;
  result.best_init = best_index[pick];
  result.init_inertia = std::move(init_inertia);
  result.init_iterations = std::move(init_iterations);
  const bool degenerate =
      std::any_of(init_degenerate.begin(), init_degenerate.end(), [](char v) { return v != 0; });
  Run& chosen = best[pick];
  result.centres = std::move(chosen.centres);
  result.labels = std::move(chosen.labels);
  result.inertia = chosen.inertia;
  result.iterations = chosen.iterations;
  result.converged = chosen.converged;
  if (degenerate)
    result.warnings.push_back("kmeans: fewer distinct points than k = " + std::to_string(options.k) +
                              "; some centres coincide and their clusters may be empty");
  return result;
}

}  // namespace detail

/// Lloyd k-means of N points of compile-time dimension D, best of `options.n_init` restarts.
///
/// @tparam D      dimension of the points (D > 0); `kmeans<kDynamic>` is the run-time-D form
/// @param points  (N, D) row-major float coordinates, all finite
/// @param options k, restarts, iteration limit, tolerance, seed, threads (see KMeansOptions)
/// @return        the restart with the lowest inertia: centres (k, D), labels (N), inertia,
///                iterations, per-restart inertias and any warnings
/// @pre  points.size() is a multiple of D, N >= 1, 1 <= k <= N, n_init >= 1, max_iter >= 1,
///       tol >= 0, threads >= 0; otherwise dae::Error is thrown (also for NaN or infinite input)
/// @post labels[i] is the index of the centre nearest to point i (lowest index on a tie), and
///       inertia is the sum of those squared distances; the result depends only on the points and
///       on the options other than `threads`
template <int D>
[[nodiscard]] KMeansResult kmeans(std::span<const float> points, const KMeansOptions& options) {
  static_assert(D > 0, "kmeans<D>: D is the dimension of the points and must be positive; "
                       "use kmeans(points, dim, options) for a run-time dimension");
  return detail::kmeans_impl<D>(points, D, options);
}

/// Lloyd k-means with the dimension given at run time; identical results to `kmeans<D>`.
///
/// @param points  (N, dim) row-major float coordinates, all finite
/// @param dim     dimension D of the points, >= 1
/// @param options as for `kmeans<D>`
/// @return        as for `kmeans<D>`
/// @pre  as for `kmeans<D>`, with dim >= 1; otherwise dae::Error is thrown
[[nodiscard]] inline KMeansResult kmeans(std::span<const float> points, int dim,
                                         const KMeansOptions& options) {
  switch (dim) {  // the common small dimensions get the unrolled inner loop
    case 1: return detail::kmeans_impl<1>(points, 1, options);
    case 2: return detail::kmeans_impl<2>(points, 2, options);
    case 3: return detail::kmeans_impl<3>(points, 3, options);
    case 4: return detail::kmeans_impl<4>(points, 4, options);
    default: return detail::kmeans_impl<kDynamic>(points, dim, options);
  }
}

/// Labels each point with its nearest centre (the lowest index on a tie): the assignment step
/// alone, for new points.
///
/// @param points  (N, dim) row-major float coordinates
/// @param centres (k, dim) row-major centres, for example KMeansResult::centres
/// @param dim     dimension of points and centres, >= 1
/// @return        (N) labels in [0, k)
/// @pre  dim >= 1, both sizes multiples of dim, at least one centre; otherwise dae::Error
[[nodiscard]] inline std::vector<int> predict(std::span<const float> points,
                                              std::span<const double> centres, int dim) {
  if (dim <= 0) throw Error("kmeans predict: dimension " + std::to_string(dim) + " must be at least 1");
  const auto udim = static_cast<std::size_t>(dim);
  if (points.size() % udim != 0 || centres.size() % udim != 0 || centres.empty())
    throw Error("kmeans predict: points (" + std::to_string(points.size()) + " values) and centres (" +
                std::to_string(centres.size()) + " values) must be non-empty multiples of dim = " +
                std::to_string(dim));
  const std::size_t n = points.size() / udim, k = centres.size() / udim;
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c) {
      const double dist = detail::squared_distance<kDynamic>(points.data() + i * udim, centres.data() + c * udim, dim);
      if (dist < best) {
        best = dist;
        labels[i] = static_cast<int>(c);
      }
    }
  }
  return labels;
}

}  // namespace dae::cluster
