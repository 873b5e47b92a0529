// Mean squared error on the CPU backend, as torch.nn.MSELoss(reduction="mean"): each sample's sum
// in the values' precision, the sum over samples in double in sample order (under a data-parallel
// scope, dae/distributed/data_parallel.hpp, every rank's samples, and the global count). `state` is
// the loss state of backend/cpu/loss_state.hpp (the last loss and a running sum), so a training
// loop can add losses up and read them once, as the CUDA version (backend/cuda/mse.cuh, same names
// and signatures) does without waiting for the device.
#pragma once

#include <Eigen/Core>
#include <type_traits>
#include <vector>

#include "dae/backend.hpp"
#include "dae/backend/cpu/loss_state.hpp"
#include "dae/backend/cpu/parallel.hpp"

namespace dae {

/// Returns mean((y - target)^2) over batch * SampleSize values; writes dL/dy = 2 (y - target) /
/// numel into dy when it is not null. @pre batch > 0
template <int SampleSize, class T>
double mse_loss(cpu_t<T>, const T* y, const T* target, Eigen::Index batch, std::type_identity_t<T>* dy, std::vector<double>& state) {
  using Sample = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;
  const double numel = static_cast<double>(detail::reduction_count(batch)) * SampleSize;
  const auto scale = static_cast<T>(2.0 / numel);
  const bool data_parallel = distributed::DataParallel::active() != nullptr;
  // Under a data-parallel scope each sample's sum is kept, to be folded with every rank's.
  std::vector<double> sample_sums(data_parallel ? static_cast<std::size_t>(batch) : 0);
  double sum = 0;
  for (Eigen::Index n = 0; n < batch; ++n) {
    const auto difference = Sample(y + n * SampleSize, SampleSize) - Sample(target + n * SampleSize, SampleSize);
    double sample_sum;
    if (dy != nullptr) {
      Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> d(dy + n * SampleSize, SampleSize);
      d = difference;
      sample_sum = static_cast<double>(d.squaredNorm());
      d *= scale;
    } else {
      sample_sum = static_cast<double>(difference.squaredNorm());
    }
    if (data_parallel)
      sample_sums[static_cast<std::size_t>(n)] = sample_sum;
    else
      sum += sample_sum;
  }
  if (data_parallel) {
    std::vector<double> storage;
    Eigen::Index rows = batch;
    const double* all =
        detail::batch_rows(sample_sums.data(), rows, 1, /*per_sample=*/true, storage);
    for (Eigen::Index n = 0; n < rows; ++n) sum += all[n];
  }
  cpu_ops::prepare_loss_state(state);
  state[0] = sum / numel;
  return state[0];
}

/// As mse_loss, and adds the loss to state[1] (the CUDA version does not wait for it).
template <int SampleSize, class T>
void mse_loss_accumulate(cpu_t<T> backend, const T* y, const T* target, Eigen::Index batch, std::type_identity_t<T>* dy,
                         std::vector<double>& state) {
  const double loss = mse_loss<SampleSize>(backend, y, target, batch, dy, state);
  state[1] += loss;
}

}  // namespace dae
