// Run by CTest under mpirun with 1, 2 and 3 processes: every rank holds only its shard's chunk
// partials of a Linear weight gradient, and after add_ordered_sum over MPI every rank must hold
// the bits one process computes alone with deterministic_sum (batch 256, and 100, whose last chunk
// is partial). Exit 0 when every rank agrees; one line per failing rank otherwise.
#include <cstdio>

#include "dae/distributed/mpi_communicator.hpp"
#include "distributed/ordered_sum_check.hpp"

int main(int argc, char** argv) {
  dae::distributed::MpiSession session(argc, argv);
  const dae::distributed::MpiCommunicator world;
  int failures = 0;
  for (const Eigen::Index batch : {256, 100, 48}) {
    const std::int64_t mismatches = dae::test::count_mismatches(world, 64, 10, batch);
    if (mismatches != 0) {
      std::fprintf(stderr, "rank %d of %d, batch %ld: %ld of %d floats differ from one process\n",
                   world.rank(), world.size(), static_cast<long>(batch),
                   static_cast<long>(mismatches), 65 * 10);
      ++failures;
    }
  }
  int all_failures = 0;
  MPI_Allreduce(&failures, &all_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (world.rank() == 0)
    std::printf("%d processes: %s\n", world.size(), all_failures == 0 ? "same bits" : "DIFFERENT");
  return all_failures == 0 ? 0 : 1;
}
