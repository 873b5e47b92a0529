// Mean squared error on the CUDA backend (kernels/mse.cuh: a fixed-order reduction in double),
// with the names and signatures of backend/cpu/mse.hpp. `state` is the device loss state of
// loss_state.cuh. mse_loss waits for its result; mse_loss_accumulate does not (a training loop
// reads the sum once, with take_loss_sum).
#pragma once

#include <Eigen/Core>

#include "dae/backend.hpp"
#include "dae/backend/cuda/loss_state.cuh"
#include "dae/backend/cuda/memory.hpp"
#include "kernels/mse.cuh"

namespace dae {

namespace cuda_backend::detail {
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
  return cuda_backend::detail::last_result(state);
}

template <int SampleSize>
void mse_loss_accumulate(cuda, const float* y, const float* target, Eigen::Index batch, float* dy,
                         cuda_backend::DeviceBuffer<double>& state) {
  cuda_backend::detail::mse_loss_issue<SampleSize>(y, target, batch, dy, state, true);
}

}  // namespace dae
