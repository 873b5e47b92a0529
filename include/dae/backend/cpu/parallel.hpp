// Threading for the CPU backend, and the one reduction pattern that keeps results independent of
// the thread count: work is cut into fixed-size chunks of samples, each chunk reduces serially
// into its own partial, and the partials are summed in chunk order. Which thread ran a chunk
// never changes a bit of the result.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace dae {

/// Sets the number of threads the CPU backend (and Eigen's GEMM) uses. @pre threads >= 1
inline void set_threads(int threads) {
#if defined(_OPENMP)
  omp_set_num_threads(threads);
#endif
  Eigen::setNbThreads(threads);
}

/// The number of threads the CPU backend uses.
inline int threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

namespace detail {

/// Samples per reduction chunk: fixed, so reductions do not depend on the thread count.
inline constexpr Eigen::Index kReductionChunk = 16;

/// Runs body(first, last) over [0, count) in parallel, one call per chunk of `chunk` items.
template <class Body>
void parallel_chunks(Eigen::Index count, Eigen::Index chunk, Body&& body) {
  const Eigen::Index chunks = (count + chunk - 1) / chunk;
#pragma omp parallel for schedule(static)
  for (Eigen::Index c = 0; c < chunks; ++c) {
    body(c * chunk, std::min(count, (c + 1) * chunk));
  }
}

/// Deterministic parallel sum: accumulate(first, last, partial) adds the contribution of items
/// [first, last) into a zeroed `partial` shaped like `total`; partials are added to `total` in
/// chunk order.
template <class Matrix, class Accumulate>
void deterministic_sum(Eigen::Index count, Matrix& total, Accumulate&& accumulate) {
  const Eigen::Index chunks = (count + kReductionChunk - 1) / kReductionChunk;
  std::vector<Matrix> partials(static_cast<std::size_t>(chunks));
  parallel_chunks(count, kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
    Matrix& partial = partials[static_cast<std::size_t>(first / kReductionChunk)];
    partial = Matrix::Zero(total.rows(), total.cols());
    accumulate(first, last, partial);
  });
  for (const Matrix& partial : partials) total += partial;
}

}  // namespace detail
}  // namespace dae
