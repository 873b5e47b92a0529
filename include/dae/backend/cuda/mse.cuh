// Mean squared error on the CUDA backend (kernels/mse.cuh: a fixed-order reduction in double),
// with the names and signatures of backend/cpu/mse.hpp. `state` lives on the device: [0] the
// last loss, [1] the running sum, then the reduction's partials. mse_loss waits for its result;
// mse_loss_accumulate does not (a training loop reads the sum once, with take_loss_sum).
#pragma once

#include <Eigen/Core>
#include <cstddef>

#include "dae/backend.hpp"
#include "dae/backend/cuda/memory.hpp"
#include "kernels/mse.cuh"

namespace dae {

namespace cuda_backend::detail {
/// Sizes the loss state; a fresh one starts with a zero sum.
inline void prepare_loss_state(DeviceBuffer<double>& state) {
  if (state.data() != nullptr) return;
  state.reserve(2 + static_cast<std::size_t>(kernels::kMseBlocks));
  DAE_CUDA_CHECK(cudaMemsetAsync(state.data(), 0, 2 * sizeof(double), current_stream()));
}

template <int SampleSize>
void mse_loss_issue(const float* y, const float* target, Eigen::Index batch, float* dy, DeviceBuffer<double>& state,
                    bool accumulate) {
  prepare_loss_state(state);
  const long long count = static_cast<long long>(batch) * SampleSize;
  double* sum = accumulate ? state.data() + 1 : nullptr;
  if (dy != nullptr)
    kernels::mse_loss_backward<false>(y, target, count, dy, state.data(), sum, state.data() + 2, current_stream());
  else
    kernels::mse_loss_forward(y, target, count, state.data(), sum, state.data() + 2, current_stream());
}
}  // namespace cuda_backend::detail

template <int SampleSize>
double mse_loss(cuda, const float* y, const float* target, Eigen::Index batch, float* dy,
                cuda_backend::DeviceBuffer<double>& state) {
  cuda_backend::detail::mse_loss_issue<SampleSize>(y, target, batch, dy, state, false);
  double loss = 0;
  cuda_backend::copy_to_host(&loss, state.data(), 1);
  return loss;
}

template <int SampleSize>
void mse_loss_accumulate(cuda, const float* y, const float* target, Eigen::Index batch, float* dy,
                         cuda_backend::DeviceBuffer<double>& state) {
  cuda_backend::detail::mse_loss_issue<SampleSize>(y, target, batch, dy, state, true);
}

inline double take_loss_sum(cuda, cuda_backend::DeviceBuffer<double>& state) {
  cuda_backend::detail::prepare_loss_state(state);
  double sum = 0;
  cuda_backend::copy_to_host(&sum, state.data() + 1, 1);
  DAE_CUDA_CHECK(cudaMemsetAsync(state.data() + 1, 0, sizeof(double), cuda_backend::current_stream()));
  return sum;
}

}  // namespace dae
