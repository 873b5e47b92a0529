// Linear's ops on the CUDA backend (kernels/linear.cuh, on our tiled GEMM), with the names and
// signatures of backend/cpu/linear.hpp and the fusions of conv2d.cuh. Issued on the current
// stream; none waits for the device.
#pragma once

#include <Eigen/Core>
#include <cstddef>

#include "dae/activation.hpp"
#include "dae/backend.hpp"
#include "dae/backend/cuda/activations.cuh"
#include "dae/backend/cuda/memory.hpp"
#include "kernels/linear.cuh"

namespace dae {

template <int In, int Out>
void linear_forward(cuda, const float* x, Eigen::Index batch, const float* weight, const float* bias, float* y,
                    Activation act) {
  cuda_backend::detail::with_activation(act, [&](auto a) {
    kernels::linear_forward<In, Out, decltype(a)::value>(x, weight, bias, y, batch, cuda_backend::current_stream());
  });
}

template <int In, int Out>
void linear_backward(cuda backend, const float* x, const float* dy, Eigen::Index batch, const float* weight,
                     Activation input_activation, float* dx, float* dweight, float* dbias,
                     cuda_backend::DeviceBuffer<float>& workspace) {
  const cudaStream_t stream = cuda_backend::current_stream();
  workspace.reserve(static_cast<std::size_t>(kernels::linear_backward_weights_workspace<In, Out>(batch)));
  kernels::linear_backward_weights<In, Out>(x, dy, dweight, dbias, batch, workspace.data(), stream);
  if (dx == nullptr) return;
  kernels::linear_backward_data<In, Out>(dy, weight, cuda_backend::detail::relu_mask(input_activation, x), dx, batch,
                                         stream);
  if (input_activation == Activation::sigmoid) sigmoid_backward(backend, x, dx, dx, batch * In);
}

}  // namespace dae
