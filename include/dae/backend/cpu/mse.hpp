// Mean squared error on the CPU backend, as torch.nn.MSELoss(reduction="mean"): each sample's sum
// in the values' precision, the sum over samples in double in sample order. `state` holds the
// last loss ([0]) and a running sum ([1]) so a training loop can add losses up and read them
// once (take_loss_sum), as the CUDA version (backend/cuda/mse.cuh, same names and signatures)
// does without waiting for the device.
#pragma once

#include <Eigen/Core>
#include <type_traits>
#include <vector>

#include "dae/backend.hpp"

namespace dae {

/// Returns mean((y - target)^2) over batch * SampleSize values; writes dL/dy = 2 (y - target) /
/// numel into dy when it is not null. @pre batch > 0
template <int SampleSize, class T>
double mse_loss(cpu_t<T>, const T* y, const T* target, Eigen::Index batch, std::type_identity_t<T>* dy, std::vector<double>& state) {
  using Sample = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;
  const double numel = static_cast<double>(batch) * SampleSize;
  const auto scale = static_cast<T>(2.0 / numel);
  double sum = 0;
  for (Eigen::Index n = 0; n < batch; ++n) {
    const auto difference = Sample(y + n * SampleSize, SampleSize) - Sample(target + n * SampleSize, SampleSize);
    if (dy != nullptr) {
      Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>> d(dy + n * SampleSize, SampleSize);
      d = difference;
      sum += static_cast<double>(d.squaredNorm());
      d *= scale;
    } else {
      sum += static_cast<double>(difference.squaredNorm());
    }
  }
  state.resize(2, 0.0);
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

/// The sum of the losses accumulated since the last call; resets it.
template <class T>
double take_loss_sum(cpu_t<T>, std::vector<double>& state) {
  state.resize(2, 0.0);
  const double sum = state[1];
  state[1] = 0;
  return sum;
}

}  // namespace dae
