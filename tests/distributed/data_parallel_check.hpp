// The checks both distributed tests run, on any communicator: what R processes compute under a
// DataParallel scope, each holding only its shard of the batch, against what this process
// computes alone on the whole batch, outside any scope. Each returns the number of values whose
// bits differ (0: the data-parallel run is the one-process run).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/backend/cpu/parallel.hpp"
#include "dae/distributed/data_parallel.hpp"

namespace dae::test {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;

inline std::vector<float> normal_values(Eigen::Index count, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(static_cast<std::size_t>(count));
  for (float& v : values) v = normal(engine);
  return values;
}

inline std::int64_t count_differing(const float* a, const float* b, Eigen::Index count) {
  std::int64_t differing = 0;
  for (Eigen::Index i = 0; i < count; ++i)
    if (std::memcmp(a + i, b + i, sizeof(float)) != 0) ++differing;
  return differing;
}

/// A Linear layer's [dW^T ; db^T] through deterministic_sum (linear.hpp's reduction), added to a
/// non-zero total: on the whole batch alone, and on this rank's shard under the scope.
template <class Communicator>
std::int64_t linear_gradient_mismatches(const Communicator& communicator, Eigen::Index batch) {
  constexpr Eigen::Index in = 64, out = 10;
  const std::vector<float> x = normal_values(in * batch, 11u + static_cast<unsigned>(batch));
  const std::vector<float> dy = normal_values(out * batch, 12u + static_cast<unsigned>(batch));
  const Eigen::Map<const MatrixF> xs(x.data(), in, batch), dys(dy.data(), out, batch);
  const auto sum_from = [&](Eigen::Index offset, Eigen::Index count) {
    MatrixF total = MatrixF::Constant(in + 1, out, 0.25f);
    MatrixF sums = MatrixF::Zero(in + 1, out);
    detail::deterministic_sum(
        count, sums, [&](Eigen::Index first, Eigen::Index last, auto& partial) {
          const Eigen::Index n = last - first;
          partial.topRows(in).noalias() +=
              xs.middleCols(offset + first, n) * dys.middleCols(offset + first, n).transpose();
          partial.row(in) += dys.middleCols(offset + first, n).rowwise().sum().transpose();
        });
    return MatrixF(total + sums);
  };
  const MatrixF one_process = sum_from(0, batch);
  const distributed::DataParallel scope(communicator, batch);
  const MatrixF data_parallel = sum_from(scope.shard().first, scope.shard().samples());
  return count_differing(one_process.data(), data_parallel.data(), one_process.size());
}

/// Every parameter, gradient and buffer of a model, in visiting order.
struct StateValues {
  std::vector<float> values;
  template <class Scalar>
  void parameter(const std::string&, Parameter<Scalar>& p) {
    values.insert(values.end(), p.value.data(), p.value.data() + p.value.size());
    values.insert(values.end(), p.grad.data(), p.grad.data() + p.grad.size());
  }
  template <class Scalar>
  void buffer(const std::string&, Buffer<Scalar>& b) {
    values.insert(values.end(), b.value.data(), b.value.data() + b.value.size());
  }
  void counter(const std::string&, std::int64_t&) {}
};

/// `steps` training steps of Autoencoder<4> (conv, transposed conv, BatchNorm, Linear, MSE,
/// Adam): one model on the whole batch alone, one on this rank's shard under the scope. Counts
/// the differing losses, parameters, gradients and BatchNorm statistics after the last step.
template <class Communicator>
std::int64_t training_step_mismatches(const Communicator& communicator, Eigen::Index batch,
                                      int steps) {
  using Model = Autoencoder<4>;
  Model alone(7), parallel(7);
  alone.train();
  parallel.train();
  std::int64_t differing = 0;
  for (int step = 0; step < steps; ++step) {
    const std::vector<float> clean = normal_values(batch * 784, 100u + static_cast<unsigned>(step));
    Model::Images noisy_all(batch), clean_all(batch);
    for (Eigen::Index i = 0; i < batch * 784; ++i) {
      clean_all.data()[i] =
          std::clamp(0.5f + 0.25f * clean[static_cast<std::size_t>(i)], 0.0f, 1.0f);
      noisy_all.data()[i] =
          std::clamp(clean_all.data()[i] + 0.1f * clean[(i * 7919) % clean.size()], 0.0f, 1.0f);
    }
    const double loss_alone = alone.train_step(noisy_all, clean_all);

    const distributed::DataParallel scope(communicator, batch);
    const distributed::Shard shard = scope.shard();
    Model::Images noisy_mine(shard.samples()), clean_mine(shard.samples());
    std::memcpy(noisy_mine.data(), noisy_all.sample(shard.first),
                sizeof(float) * shard.samples() * 784);
    std::memcpy(clean_mine.data(), clean_all.sample(shard.first),
                sizeof(float) * shard.samples() * 784);
    const double loss_parallel = parallel.train_step(noisy_mine, clean_mine);
    if (std::memcmp(&loss_alone, &loss_parallel, sizeof(double)) != 0) ++differing;
  }
  StateValues a, b;
  alone.visit_state(a);
  parallel.visit_state(b);
  return differing + count_differing(a.values.data(), b.values.data(),
                                     static_cast<Eigen::Index>(a.values.size()));
}

}  // namespace dae::test
