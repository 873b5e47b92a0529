// The processes of a data-parallel run, as the reductions of a training step see them: a rank, a
// size, and one collective, "gather every rank's bytes in rank order" (bytes, so every value keeps
// its bits). That one collective is enough for reductions that give the same bits on any number of
// processes (data_parallel.hpp): each process gathers the per-chunk partials of the whole batch and
// folds them in the order one process would. LocalCommunicator is the one-process case and needs
// nothing; MpiCommunicator (mpi_communicator.hpp, only where MPI is found) runs the collective over
// MPI_COMM_WORLD.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>

namespace dae::distributed {

/// One process alone: rank 0 of 1, and gathering is a copy.
class LocalCommunicator {
 public:
  int rank() const { return 0; }
  int size() const { return 1; }

  /// Writes every rank's bytes `mine` into `all`, rank 0's first. `counts[r]` is rank r's
  /// length in bytes.
  /// @pre counts.size() == size(), counts[rank()] == mine.size(), all.size() == sum of counts
  void allgather_bytes(std::span<const std::byte> mine, std::span<const int> /*counts*/,
                       std::span<std::byte> all) const {
    std::copy(mine.begin(), mine.end(), all.begin());
  }
};

}  // namespace dae::distributed
