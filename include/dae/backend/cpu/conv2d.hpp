// Conv2d's ops on the CPU backend: the implicit-GEMM convolution of conv.hpp with the layer's
// fusions (activation after the bias; the derivative of the activation that produced the input,
// applied to dx). The CUDA versions, with the same names and signatures, are
// backend/cuda/conv2d.cuh.
#pragma once

#include <vector>

#include "dae/activation.hpp"
#include "dae/backend.hpp"
#include "dae/backend/cpu/activations.hpp"
#include "dae/backend/cpu/conv.hpp"
#include "dae/conv_geometry.hpp"

namespace dae {

/// y = act(conv2d(x, weight) + bias) for `batch` samples of InShape.
template <class InShape, int OutChannels, int Kernel, int Stride, int Padding, class T>
void conv2d_forward(cpu_t<T> backend, const T* x, Eigen::Index batch, const T* weight, const T* bias, T* y,
                    Activation act) {
  using Geometry = Conv2dGeometry<InShape, OutChannels, Kernel, Stride, Padding>;
  cpu_ops::conv2d_forward<Geometry>(x, batch, weight, bias, y);
  activation_forward(backend, act, y, y, batch * Geometry::output_size);
}

/// Adds dL/dweight and dL/dbias; writes dL/dx when dx is not null, times the derivative of
/// `input_activation` (the activation whose output x is). The workspace is unused on the CPU.
template <class InShape, int OutChannels, int Kernel, int Stride, int Padding, class T>
void conv2d_backward(cpu_t<T> backend, const T* x, const T* dy, Eigen::Index batch, const T* weight,
                     Activation input_activation, T* dx, T* dweight, T* dbias, std::vector<T>& /*workspace*/) {
  using Geometry = Conv2dGeometry<InShape, OutChannels, Kernel, Stride, Padding>;
  cpu_ops::conv2d_backward<Geometry>(x, dy, batch, weight, dx, dweight, dbias);
  if (dx != nullptr) activation_backward(backend, input_activation, x, dx, batch * InShape::size);
}

}  // namespace dae
