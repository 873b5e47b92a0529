// Threading for the CPU backend, and the one reduction pattern that keeps results independent of
// the thread count: work is cut into fixed-size chunks of samples, each chunk reduces serially
// into its own partial, and the partials are summed in chunk order. Which thread ran a chunk
// never changes a bit of the result.
//
// The layers parallelise over the batch on dae's thread pool, and every Eigen product inside a
// task must run on the calling thread: if Eigen's own OpenMP threads ran there too (Eigen uses
// them whenever a translation unit is compiled with -fopenmp and nobody called
// Eigen::setNbThreads(1)), each task of the pool would fork a team of its own, and an epoch took
// 4.9x longer. So the pool's first use sets Eigen to one thread, whatever the build flags; a user
// who wants Eigen's threads for their own products outside dae's layers can call
// Eigen::setNbThreads afterwards.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "dae/backend/cpu/thread_pool.hpp"
#include "dae/distributed/data_parallel.hpp"

namespace dae {

namespace detail {

/// dae's thread pool, with Eigen set to one thread at its first use (see the file comment).
inline ThreadPool& cpu_pool() {
  static ThreadPool& pool = []() -> ThreadPool& {
    Eigen::setNbThreads(1);
    return ThreadPool::instance();
  }();
  return pool;
}

}  // namespace detail

/// Sets the number of threads the CPU backend uses (default: all cores). Eigen's own GEMM stays
/// single-threaded: the layers parallelise over the batch. @pre threads >= 1
inline void set_threads(int threads) {
  detail::cpu_pool().resize(threads);
  Eigen::setNbThreads(1);
}

/// The number of threads the CPU backend uses.
inline int threads() {
  return detail::cpu_pool().threads();
}

namespace detail {

/// Runs body(first, last) over [0, count) in parallel, one call per chunk of `chunk` items.
template <class Body>
void parallel_chunks(Eigen::Index count, Eigen::Index chunk, Body&& body) {
  const Eigen::Index chunks = (count + chunk - 1) / chunk;
  cpu_pool().run(
      chunks, [&](std::int64_t c) { body(c * chunk, std::min(count, (c + 1) * chunk)); });
}

/// Runs body(first, last) over [0, count) split into one contiguous range per thread, for loops
/// whose items are independent and computed the same way wherever the range starts (per-sample
/// work). A GEMM over a range of columns is not such an item: its kernel treats columns by their
/// position in the block, so it goes through parallel_chunks with a fixed chunk instead.
template <class Body>
void parallel_ranges(Eigen::Index count, Body&& body) {
  const Eigen::Index ranges = std::min<Eigen::Index>(count, cpu_pool().threads());
  cpu_pool().run(
      ranges, [&](std::int64_t r) { body(count * r / ranges, count * (r + 1) / ranges); });
}

/// The number of samples a batch reduction divides by: the global batch under a data-parallel
/// scope (dae/distributed/data_parallel.hpp), else `batch`.
inline Eigen::Index reduction_count(Eigen::Index batch) {
  const distributed::DataParallel* scope = distributed::DataParallel::active();
  return scope == nullptr ? batch : scope->global_batch();
}

/// The rows of `width` values a batch reduction folds, one per chunk (per_sample false) or per
/// sample: `local` itself, or under a data-parallel scope every rank's rows in global order,
/// gathered into `storage`. `rows` becomes the number of rows returned.
template <class T>
const T* batch_rows(const T* local, Eigen::Index& rows, Eigen::Index width, bool per_sample,
                    std::vector<T>& storage) {
  const distributed::DataParallel* scope = distributed::DataParallel::active();
  if (scope == nullptr) return local;
  scope->gather_rows(local, rows, width, per_sample, storage);
  rows = static_cast<Eigen::Index>(storage.size()) / width;
  return storage.data();
}

/// Deterministic parallel sum: accumulate(first, last, partial) adds the contribution of items
/// [first, last) into a zeroed `partial` shaped like `total`; partials are added to `total` in
/// chunk order (under a data-parallel scope, every rank's, in global chunk order).
template <class Matrix, class Accumulate>
void deterministic_sum(Eigen::Index count, Matrix& total, Accumulate&& accumulate) {
  const Eigen::Index chunks = (count + kReductionChunk - 1) / kReductionChunk;
  std::vector<Matrix> partials(static_cast<std::size_t>(chunks));
  parallel_chunks(count, kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
    Matrix& partial = partials[static_cast<std::size_t>(first / kReductionChunk)];
    partial = Matrix::Zero(total.rows(), total.cols());
    accumulate(first, last, partial);
  });
  if (distributed::DataParallel::active() == nullptr) {
    for (const Matrix& partial : partials) total += partial;
    return;
  }
  using Scalar = typename Matrix::Scalar;
  const Eigen::Index width = total.size();
  std::vector<Scalar> local(static_cast<std::size_t>(chunks * width));
  for (Eigen::Index c = 0; c < chunks; ++c)
    Eigen::Map<Matrix>(local.data() + c * width, total.rows(), total.cols()) =
        partials[static_cast<std::size_t>(c)];
  std::vector<Scalar> storage;
  Eigen::Index rows = chunks;
  const Scalar* all = batch_rows(local.data(), rows, width, /*per_sample=*/false, storage);
  for (Eigen::Index c = 0; c < rows; ++c)
    total += Eigen::Map<const Matrix>(all + c * width, total.rows(), total.cols());
}

}  // namespace detail
}  // namespace dae
