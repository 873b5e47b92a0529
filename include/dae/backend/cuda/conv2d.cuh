// Conv2d's ops on the CUDA backend (kernels/conv2d.cuh, kernels/conv_weight_grad.cuh), with the
// names and signatures of backend/cpu/conv2d.hpp: the activation is the forward kernel's
// epilogue, a ReLU input's derivative is the backward-data kernel's mask. Issued on the current
// stream; none waits for the device.
#pragma once

#include <Eigen/Core>
#include <cstddef>

#include "dae/activation.hpp"
#include "dae/backend.hpp"
#include "dae/backend/cuda/activations.cuh"
#include "dae/backend/cuda/memory.hpp"
#include "kernels/conv2d.cuh"

namespace dae {

template <class InShape, int OutChannels, int Kernel, int Stride, int Padding>
void conv2d_forward(cuda, const float* x, Eigen::Index batch, const float* weight, const float* bias, float* y,
                    Activation act) {
  using Geometry = Conv2dGeometry<InShape, OutChannels, Kernel, Stride, Padding>;
  cuda_backend::detail::with_activation(act, [&](auto a) {
    kernels::conv2d_forward<Geometry, decltype(a)::value>(x, weight, bias, y, batch, cuda_backend::current_stream());
  });
}

template <class InShape, int OutChannels, int Kernel, int Stride, int Padding>
void conv2d_backward(cuda backend, const float* x, const float* dy, Eigen::Index batch, const float* weight,
                     Activation input_activation, float* dx, float* dweight, float* dbias,
                     cuda_backend::DeviceBuffer<float>& workspace) {
  using Geometry = Conv2dGeometry<InShape, OutChannels, Kernel, Stride, Padding>;
  const cudaStream_t stream = cuda_backend::current_stream();
  workspace.reserve(static_cast<std::size_t>(kernels::conv2d_backward_weights_workspace<Geometry>(batch)));
  kernels::conv2d_backward_weights<Geometry>(x, dy, dweight, dbias, batch, workspace.data(), stream);
  if (dx == nullptr) return;
  kernels::conv2d_backward_data<Geometry>(dy, weight, cuda_backend::detail::relu_mask(input_activation, x), dx, batch,
                                          stream);
  if (input_activation == Activation::sigmoid) sigmoid_backward(backend, x, dx, dx, batch * InShape::size);
}

}  // namespace dae
