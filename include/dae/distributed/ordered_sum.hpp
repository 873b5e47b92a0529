// Reductions of a data-parallel step that give the bits of one process, whatever the number of
// processes. The CPU backend already sums per-sample contributions in fixed chunks of
// kReductionChunk samples, folded in chunk order (backend/cpu/parallel.hpp), so a run is
// independent of its thread count. Data parallelism keeps that rule across processes: the global
// batch is split at chunk boundaries (shard_of), every rank computes the partials of its own
// chunks, gathers all of them in rank order (which is chunk order), and folds them exactly as one
// process folds its chunks. The cost is one gather of chunks x values floats per reduction; the
// scalable variant (each rank folds one slice of the values, then an all-gather) is described in
// docs/SCALING.md.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "dae/backend/cpu/parallel.hpp"

namespace dae::distributed {

/// The samples [first, last) of a global batch that one rank trains on.
struct Shard {
  Eigen::Index first = 0;
  Eigen::Index last = 0;
  Eigen::Index first_chunk = 0;
  Eigen::Index chunks = 0;
};

/// Rank `rank` of `ranks` gets chunks [C r / R, C (r + 1) / R) of the C = ceil(batch / chunk)
/// chunks of `batch` samples; a partial last chunk is the last rank's.
/// @throws std::invalid_argument when there are fewer chunks than ranks (a rank would idle)
inline Shard shard_of(Eigen::Index batch, int ranks, int rank,
                      Eigen::Index chunk = detail::kReductionChunk) {
  const Eigen::Index chunk_count = (batch + chunk - 1) / chunk;
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw std::invalid_argument("shard_of: rank " + std::to_string(rank) + " of " +
                                std::to_string(ranks));
  if (chunk_count < ranks)
    throw std::invalid_argument("a batch of " + std::to_string(batch) + " samples has " +
                                std::to_string(chunk_count) + " chunks of " +
                                std::to_string(chunk) + ", fewer than the " +
                                std::to_string(ranks) + " processes");
  const Eigen::Index first_chunk = chunk_count * rank / ranks;
  const Eigen::Index end_chunk = chunk_count * (rank + 1) / ranks;
  return {first_chunk * chunk, std::min(batch, end_chunk * chunk), first_chunk,
          end_chunk - first_chunk};
}

/// Adds to `total` the sum over every rank's chunk partials, folded in global chunk order in
/// float: total[i] += ((0 + p_0[i]) + p_1[i]) + ... . `local_partials` holds this rank's
/// partials, one row of total.size() values per chunk, in chunk order; `chunks_of_rank[r]` is
/// rank r's number of chunks. With one rank this is the fold of deterministic_sum.
template <class Communicator>
void add_ordered_sum(const Communicator& communicator, std::span<const float> local_partials,
                     std::span<const Eigen::Index> chunks_of_rank, std::span<float> total) {
  const auto width = static_cast<Eigen::Index>(total.size());
  std::vector<int> counts(chunks_of_rank.size());
  Eigen::Index all_chunks = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    counts[r] = static_cast<int>(chunks_of_rank[r] * width);
    all_chunks += chunks_of_rank[r];
  }
  std::vector<float> all(static_cast<std::size_t>(all_chunks * width));
  communicator.allgather_in_rank_order(local_partials, counts, all);
  for (Eigen::Index i = 0; i < width; ++i) {
    float sum = 0.0f;
    for (Eigen::Index c = 0; c < all_chunks; ++c)
      sum += all[static_cast<std::size_t>(c * width + i)];
    total[static_cast<std::size_t>(i)] += sum;
  }
}

}  // namespace dae::distributed
