// Element-wise ops on the CUDA backend (kernels/activations.cuh), with the names and signatures
// of backend/cpu/activations.hpp. Issued on the current stream; none waits for the device.
#pragma once

#include <Eigen/Core>

#include "dae/activation.hpp"
#include "dae/backend.hpp"
#include "dae/backend/cuda/memory.hpp"
#include "kernels/activations.cuh"

namespace dae {

inline void activation_forward(cuda, Activation act, const float* x, float* y, Eigen::Index count) {
  const cudaStream_t stream = cuda_backend::current_stream();
  switch (act) {
    case Activation::none:
      if (x != y && count > 0)
        DAE_CUDA_CHECK(cudaMemcpyAsync(y, x, static_cast<std::size_t>(count) * sizeof(float),
                                       cudaMemcpyDeviceToDevice, stream));
      break;
    case Activation::relu: kernels::relu_forward(x, y, count, stream); break;
    case Activation::sigmoid: kernels::sigmoid_forward(x, y, count, stream); break;
  }
}

inline void relu_backward(cuda, const float* y, const float* dy, float* dx, Eigen::Index count) {
  kernels::relu_backward(y, dy, dx, count, cuda_backend::current_stream());
}

inline void sigmoid_backward(cuda, const float* y, const float* dy, float* dx, Eigen::Index count) {
  kernels::sigmoid_backward(y, dy, dx, count, cuda_backend::current_stream());
}

inline void activation_backward(cuda backend, Activation act, const float* y, float* dx, Eigen::Index count) {
  if (act == Activation::relu) relu_backward(backend, y, dx, dx, count);
  if (act == Activation::sigmoid) sigmoid_backward(backend, y, dx, dx, count);
}

inline void copy_values(cuda, const float* from, float* to, Eigen::Index count) {
  if (from == to || count == 0) return;
  DAE_CUDA_CHECK(cudaMemcpyAsync(to, from, static_cast<std::size_t>(count) * sizeof(float), cudaMemcpyDeviceToDevice,
                                 cuda_backend::current_stream()));
}

/// Waits for the work issued on the current stream.
inline void synchronize(cuda) { DAE_CUDA_CHECK(cudaStreamSynchronize(cuda_backend::current_stream())); }

namespace cuda_backend::detail {
/// Calls f(std::integral_constant<Activation, act>{}) so a run-time choice picks a kernel template.
template <class F>
void with_activation(Activation act, F&& f) {
  switch (act) {
    case Activation::none: f(std::integral_constant<Activation, Activation::none>{}); break;
    case Activation::relu: f(std::integral_constant<Activation, Activation::relu>{}); break;
    case Activation::sigmoid: f(std::integral_constant<Activation, Activation::sigmoid>{}); break;
  }
}

/// The mask a backward-data kernel applies for `input_activation` (ReLU: its output, x), and
/// whether a separate pass is needed after it (Sigmoid).
inline const float* relu_mask(Activation input_activation, const float* x) {
  return input_activation == Activation::relu ? x : nullptr;
}
}  // namespace cuda_backend::detail

}  // namespace dae
