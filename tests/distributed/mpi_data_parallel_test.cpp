// Run by CTest under mpirun with 1, 2 and 3 processes: each rank holds only its shard of every
// batch, under a DataParallel scope over MPI, and must end with the bits this process computes
// alone on the whole batch: a Linear weight gradient (batch 256, 100 whose last chunk is partial,
// 48) and three Autoencoder<4> training steps at batch 100. Exit 0 when every rank agrees; one
// line per failing check otherwise.
#include <cstdio>

#include "dae/distributed/mpi_communicator.hpp"
#include "distributed/data_parallel_check.hpp"

int main(int argc, char** argv) {
  dae::distributed::MpiSession session(argc, argv);
  const dae::distributed::MpiCommunicator world;
  int failures = 0;
  const auto check = [&](const char* what, std::int64_t differing) {
    if (differing == 0) return;
    std::fprintf(stderr, "rank %d of %d, %s: %ld values differ from one process\n", world.rank(),
                 world.size(), what, static_cast<long>(differing));
    ++failures;
  };
  check("linear gradient, batch 256", dae::test::linear_gradient_mismatches(world, 256));
  check("linear gradient, batch 100", dae::test::linear_gradient_mismatches(world, 100));
  check("linear gradient, batch 48", dae::test::linear_gradient_mismatches(world, 48));
  check("3 training steps, batch 100", dae::test::training_step_mismatches(world, 100, 3));
  int all_failures = 0;
  MPI_Allreduce(&failures, &all_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (world.rank() == 0)
    std::printf("%d processes: %s\n", world.size(), all_failures == 0 ? "same bits" : "DIFFERENT");
  return all_failures == 0 ? 0 : 1;
}
