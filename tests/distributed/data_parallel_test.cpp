// Data-parallel training in one process: how a batch is sharded, and that a DataParallel scope
// over LocalCommunicator (one rank) changes no bit. The same checks on 1, 2 and 3 MPI processes
// are mpi_data_parallel_test.cpp.
#include <catch2/catch.hpp>

#include "dae/distributed/communicator.hpp"
#include "distributed/data_parallel_check.hpp"

using dae::distributed::shard_of;

TEST_CASE("shard_of splits a batch at chunk boundaries, the partial chunk last", "[distributed]") {
  // 100 samples are 7 chunks of 16 (the last holds 4): 2 + 2 + 3 chunks over three ranks.
  REQUIRE(shard_of(100, 3, 0).first == 0);
  REQUIRE(shard_of(100, 3, 0).last == 32);
  REQUIRE(shard_of(100, 3, 1).first == 32);
  REQUIRE(shard_of(100, 3, 1).last == 64);
  REQUIRE(shard_of(100, 3, 2).first == 64);
  REQUIRE(shard_of(100, 3, 2).last == 100);
  REQUIRE(shard_of(100, 3, 2).first_chunk == 4);
  REQUIRE(shard_of(100, 3, 2).chunks == 3);
  REQUIRE(shard_of(256, 1, 0).last == 256);
  for (const int ranks : {1, 2, 3, 5, 16}) {
    Eigen::Index covered = 0;
    for (int r = 0; r < ranks; ++r) {
      REQUIRE(shard_of(256, ranks, r).first == covered);
      covered = shard_of(256, ranks, r).last;
    }
    REQUIRE(covered == 256);
  }
}

TEST_CASE("shard_of refuses more processes than chunks", "[distributed]") {
  REQUIRE_THROWS_WITH(shard_of(32, 3, 0),
                      "a batch of 32 samples has 2 chunks of 16, fewer than the 3 processes");
  REQUIRE_THROWS_AS(shard_of(256, 2, 2), std::invalid_argument);
}

TEST_CASE("a one-rank data-parallel scope changes no bit", "[distributed]") {
  const dae::distributed::LocalCommunicator local;
  for (const Eigen::Index batch : {16, 100, 256}) {
    INFO("batch " << batch);
    REQUIRE(dae::test::linear_gradient_mismatches(local, batch) == 0);
  }
  REQUIRE(dae::test::training_step_mismatches(local, 100, 2) == 0);
}

TEST_CASE("a layer that sees another batch than its shard is refused", "[distributed]") {
  const dae::distributed::LocalCommunicator local;
  dae::Autoencoder<4> model(7);
  model.train();
  dae::Autoencoder<4>::Images images(32);
  const dae::distributed::DataParallel scope(local, 64);
  REQUIRE_THROWS_WITH(model.train_step(images, images),
                      Catch::Contains("a layer saw 32 samples where rank 0's shard has 64"));
}
