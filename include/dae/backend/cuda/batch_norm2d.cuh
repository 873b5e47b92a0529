// BatchNorm2d's ops on the CUDA backend (kernels/batch_norm2d.cuh: PyTorch's semantics,
// statistics in double, a fixed summation order), with the names and signatures of
// backend/cpu/batch_norm2d.hpp. `saved` holds (C, 2) mean and 1/sqrt(var + eps) on the device;
// the workspace holds the statistics partials and the backward coefficients. Issued on the
// current stream; none waits for the device.
#pragma once

#include <Eigen/Core>
#include <cstddef>

#include "dae/activation.hpp"
#include "dae/backend.hpp"
#include "dae/backend/cuda/activations.cuh"
#include "dae/backend/cuda/memory.hpp"
#include "kernels/batch_norm2d.cuh"

namespace dae {

template <class S>
void batch_norm2d_forward(cuda, const float* x, Eigen::Index batch, const float* weight, const float* bias,
                          float* running_mean, float* running_var, bool training, Activation act, float* y,
                          cuda_backend::DeviceBuffer<double>& saved, cuda_backend::DeviceBuffer<double>& workspace) {
  const cudaStream_t stream = cuda_backend::current_stream();
  saved.reserve(2 * S::channels);
  workspace.reserve(static_cast<std::size_t>(kernels::batch_norm2d_workspace<S::channels>()) + 3 * S::channels);
  cuda_backend::detail::with_activation(act, [&](auto a) {
    if (training) {
      kernels::batch_norm2d_forward<S::channels, S::plane, decltype(a)::value>(
          x, weight, bias, running_mean, running_var, saved.data(), y, batch, workspace.data(), stream);
    } else {
      kernels::batch_norm2d_eval_forward<S::channels, S::plane, decltype(a)::value>(
          x, weight, bias, running_mean, running_var, saved.data(), y, batch, stream);
    }
  });
}

template <class S>
void batch_norm2d_backward(cuda, const float* x, const float* dy, Eigen::Index batch,
                           const cuda_backend::DeviceBuffer<double>& saved, const float* weight, bool training,
                           float* dx, float* dweight, float* dbias, cuda_backend::DeviceBuffer<double>& workspace) {
  const std::size_t partials = static_cast<std::size_t>(kernels::batch_norm2d_workspace<S::channels>());
  workspace.reserve(partials + 3 * S::channels);
  kernels::batch_norm2d_backward<S::channels, S::plane>(x, dy, saved.data(), weight, dweight, dbias, dx, batch,
                                                        training, workspace.data(), workspace.data() + partials,
                                                        cuda_backend::current_stream());
}

}  // namespace dae
