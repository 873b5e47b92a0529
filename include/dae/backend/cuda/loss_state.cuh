// The state every loss op of the CUDA backend keeps (mse.cuh, cross_entropy.cuh), on the device:
// [0] the last result, [1] the running sum a training loop accumulates without waiting, then the
// reduction's partials (kernels/loss_reduction.cuh). take_loss_sum reads and resets the sum, the
// one synchronisation of an epoch. Names and signatures as backend/cpu/loss_state.hpp.
#pragma once

#include <cstddef>

#include "dae/backend.hpp"
#include "dae/backend/cuda/memory.hpp"
#include "kernels/loss_reduction.cuh"

namespace dae {

namespace cuda_backend::detail {
/// Sizes the state; a fresh one starts with a zero sum.
inline void prepare_loss_state(DeviceBuffer<double>& state) {
  if (state.data() != nullptr) return;
  state.reserve(2 + static_cast<std::size_t>(kernels::kLossBlocks));
  DAE_CUDA_CHECK(cudaMemsetAsync(state.data(), 0, 2 * sizeof(double), current_stream()));
}

/// Waits for and returns the state's last result.
inline double last_result(const DeviceBuffer<double>& state) {
  double value = 0;
  copy_to_host(&value, state.data(), 1);
  return value;
}
}  // namespace cuda_backend::detail

/// The sum of the losses accumulated since the last call; resets it (waits for the device).
inline double take_loss_sum(cuda, cuda_backend::DeviceBuffer<double>& state) {
  cuda_backend::detail::prepare_loss_state(state);
  double sum = 0;
  cuda_backend::copy_to_host(&sum, state.data() + 1, 1);
  DAE_CUDA_CHECK(cudaMemsetAsync(state.data() + 1, 0, sizeof(double), cuda_backend::current_stream()));
  return sum;
}

}  // namespace dae
