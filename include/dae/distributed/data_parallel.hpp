// Data-parallel training on the CPU backend: R processes each train on one shard of every global
// batch, and their models stay bit-identical to the model one process trains on the whole batch.
// The CPU backend's reductions over the batch already sum fixed chunks of kReductionChunk samples
// in chunk order (conv and linear weight gradients), or single samples in sample order (the
// BatchNorm statistics and the loss, in double), so that a result never depends on the thread
// count. While a DataParallel scope is alive those reductions gather the partials of every rank
// (the ranks hold consecutive chunks, so rank order is chunk order) and fold the whole batch's
// partials exactly as one process would; every count (a mean's denominator) is the global one.
// Adam is elementwise, so identical gradients give identical updates on every rank.
//
// The scope is process-wide and is read from the thread that calls the layers; a training loop
// opens one around each step (forward, loss, backward). Evaluation (BatchNorm on its running
// statistics, a validation loss) runs outside it, on each rank's own samples.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstring>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace dae {

namespace detail {

/// Samples per reduction chunk: fixed, so reductions depend neither on the thread count nor on
/// the number of processes.
inline constexpr Eigen::Index kReductionChunk = 16;

}  // namespace detail

namespace distributed {

/// The samples [first, last) of a global batch that one rank trains on: chunks
/// [first_chunk, first_chunk + chunks) of the global batch.
struct Shard {
  Eigen::Index first = 0;
  Eigen::Index last = 0;
  Eigen::Index first_chunk = 0;
  Eigen::Index chunks = 0;
  Eigen::Index samples() const { return last - first; }
};

/// Rank `rank` of `ranks` gets chunks [C r / R, C (r + 1) / R) of the C = ceil(batch / chunk)
/// chunks of `batch` samples; a partial last chunk is the last rank's.
/// @throws std::invalid_argument when there are fewer chunks than ranks (a rank would idle)
inline Shard shard_of(Eigen::Index batch, int ranks, int rank,
                      Eigen::Index chunk = detail::kReductionChunk) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw std::invalid_argument("shard_of: rank " + std::to_string(rank) + " of " +
                                std::to_string(ranks));
  const Eigen::Index chunk_count = (batch + chunk - 1) / chunk;
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

/// While alive, the CPU layers' batch reductions run over the global batch of every rank of
/// `communicator` (which must outlive the scope). Scopes nest; the innermost is active.
class DataParallel {
 public:
  /// @throws std::invalid_argument when the global batch has fewer chunks than ranks
  template <class Communicator>
  DataParallel(const Communicator& communicator, Eigen::Index global_batch)
      : rank_(communicator.rank()),
        ranks_(communicator.size()),
        global_batch_(global_batch),
        gather_([&communicator](std::span<const std::byte> mine, std::span<const int> counts,
                                std::span<std::byte> all) {
          communicator.allgather_bytes(mine, counts, all);
        }) {
    for (int r = 0; r < ranks_; ++r) shards_.push_back(shard_of(global_batch_, ranks_, r));
    previous_ = slot();
    slot() = this;
  }
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;
  ~DataParallel() { slot() = previous_; }

  /// The innermost live scope, or null (one process: every reduction is local).
  static const DataParallel* active() { return slot(); }

  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  Eigen::Index global_batch() const { return global_batch_; }
  const Shard& shard() const { return shards_[static_cast<std::size_t>(rank_)]; }
  const Shard& shard(int rank) const { return shards_[static_cast<std::size_t>(rank)]; }

  /// Every rank's rows of `width` values, one row per chunk (per_sample false) or per sample
  /// (true), in global order, into `all`. @throws std::invalid_argument unless `local_rows` is
  /// this rank's chunk or sample count
  template <class T>
  void gather_rows(const T* local, Eigen::Index local_rows, Eigen::Index width, bool per_sample,
                   std::vector<T>& all) const {
    const Eigen::Index expected = per_sample ? shard().samples() : shard().chunks;
    if (local_rows != expected)
      throw std::invalid_argument("data-parallel step: a layer saw " + std::to_string(local_rows) +
                                  (per_sample ? " samples" : " chunks") + " where rank " +
                                  std::to_string(rank_) + "'s shard has " +
                                  std::to_string(expected));
    std::vector<int> counts(static_cast<std::size_t>(ranks_));
    Eigen::Index rows = 0;
    for (int r = 0; r < ranks_; ++r) {
      const Eigen::Index rank_rows = per_sample ? shard(r).samples() : shard(r).chunks;
      counts[static_cast<std::size_t>(r)] =
          static_cast<int>(rank_rows * width * static_cast<Eigen::Index>(sizeof(T)));
      rows += rank_rows;
    }
    all.resize(static_cast<std::size_t>(rows * width));
    gather_(std::as_bytes(std::span<const T>(local, static_cast<std::size_t>(local_rows * width))),
            counts, std::as_writable_bytes(std::span<T>(all)));
  }

 private:
  static const DataParallel*& slot() {
    static const DataParallel* active = nullptr;
    return active;
  }

  int rank_;
  int ranks_;
  Eigen::Index global_batch_;
  std::vector<Shard> shards_;
  std::function<void(std::span<const std::byte>, std::span<const int>, std::span<std::byte>)>
      gather_;
  const DataParallel* previous_ = nullptr;
};

}  // namespace distributed
}  // namespace dae
