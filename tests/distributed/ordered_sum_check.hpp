// The check both distributed tests run: a Linear layer's weight-gradient reduction over a batch,
// computed once by one process through deterministic_sum and once through add_ordered_sum with
// each rank holding only its shard's chunk partials. Returns the number of floats that differ.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "dae/backend/cpu/parallel.hpp"
#include "dae/distributed/ordered_sum.hpp"

namespace dae::test {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;

/// Inputs (In x batch) and output gradients (Out x batch) of a batch, the same on every rank.
struct LinearBatch {
  MatrixF x;
  MatrixF dy;
};

inline LinearBatch make_linear_batch(Eigen::Index in, Eigen::Index out, Eigen::Index batch) {
  std::mt19937 engine(1234u + static_cast<unsigned>(batch));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  LinearBatch b{MatrixF(in, batch), MatrixF(out, batch)};
  for (Eigen::Index i = 0; i < b.x.size(); ++i) b.x.data()[i] = normal(engine);
  for (Eigen::Index i = 0; i < b.dy.size(); ++i) b.dy.data()[i] = normal(engine);
  return b;
}

/// [dW^T ; db^T] of samples [first, last) added into `partial`, as linear.hpp's backward does.
inline void accumulate_linear(const LinearBatch& b, Eigen::Index first, Eigen::Index last,
                              MatrixF& partial) {
  const Eigen::Index in = b.x.rows();
  partial.topRows(in).noalias() +=
      b.x.middleCols(first, last - first) * b.dy.middleCols(first, last - first).transpose();
  partial.row(in) += b.dy.middleCols(first, last - first).rowwise().sum().transpose();
}

template <class Communicator>
std::int64_t count_mismatches(const Communicator& communicator, Eigen::Index in, Eigen::Index out,
                              Eigen::Index batch) {
  const LinearBatch b = make_linear_batch(in, out, batch);
  MatrixF one_process = MatrixF::Constant(in + 1, out, 0.25f);
  MatrixF sums = MatrixF::Zero(in + 1, out);
  detail::deterministic_sum(batch, sums, [&](Eigen::Index first, Eigen::Index last, auto& partial) {
    accumulate_linear(b, first, last, partial);
  });
  one_process += sums;

  const int ranks = communicator.size();
  const distributed::Shard mine = distributed::shard_of(batch, ranks, communicator.rank());
  std::vector<Eigen::Index> chunks_of_rank(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) chunks_of_rank[r] = distributed::shard_of(batch, ranks, r).chunks;
  const Eigen::Index width = (in + 1) * out;
  std::vector<float> local(static_cast<std::size_t>(mine.chunks * width));
  for (Eigen::Index c = 0; c < mine.chunks; ++c) {
    const Eigen::Index first = mine.first + c * detail::kReductionChunk;
    const Eigen::Index last = std::min(mine.last, first + detail::kReductionChunk);
    MatrixF partial = MatrixF::Zero(in + 1, out);
    accumulate_linear(b, first, last, partial);
    std::memcpy(local.data() + c * width, partial.data(), sizeof(float) * width);
  }
  MatrixF distributed_total = MatrixF::Constant(in + 1, out, 0.25f);
  distributed::add_ordered_sum(communicator, local, chunks_of_rank,
                               std::span<float>(distributed_total.data(), width));

  std::int64_t mismatches = 0;
  for (Eigen::Index i = 0; i < width; ++i)
    if (std::memcmp(&distributed_total.data()[i], &one_process.data()[i], sizeof(float)) != 0)
      ++mismatches;
  return mismatches;
}

}  // namespace dae::test
