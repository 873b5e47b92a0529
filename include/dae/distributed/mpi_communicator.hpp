// The communicator of communicator.hpp over MPI: every process of `mpirun -np R` holds one, on
// MPI_COMM_WORLD. The gather is MPI_Allgatherv, which places rank r's bytes at displacement
// sum(counts[0..r)), so the order is the ranks' and never the network's. Include this header only
// where MPI is available (CMake: DAE_WITH_MPI, target dae::mpi).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace dae::distributed {

/// MPI_Init on construction, MPI_Finalize on destruction: one per process, in main.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv) {
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) throw std::runtime_error("MPI_Init failed");
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  ~MpiSession() { MPI_Finalize(); }
};

/// Rank and size of MPI_COMM_WORLD, and the ordered gather. @pre an MpiSession is alive
class MpiCommunicator {
 public:
  MpiCommunicator() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }

  int rank() const { return rank_; }
  int size() const { return size_; }

  /// Writes every rank's bytes `mine` into `all`, rank 0's first. `counts[r]` is rank r's
  /// length in bytes.
  /// @pre counts.size() == size(), counts[rank()] == mine.size(), all.size() == sum of counts
  void allgather_bytes(std::span<const std::byte> mine, std::span<const int> counts,
                       std::span<std::byte> all) const {
    std::vector<int> displacements(counts.size());
    std::exclusive_scan(counts.begin(), counts.end(), displacements.begin(), 0);
    const int status =
        MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(),
                       counts.data(), displacements.data(), MPI_BYTE, MPI_COMM_WORLD);
    if (status != MPI_SUCCESS)
      throw std::runtime_error("MPI_Allgatherv failed with error " + std::to_string(status));
  }

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace dae::distributed
