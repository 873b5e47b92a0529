// ReLU and Sigmoid as stand-alone element-wise kernels, for the layer-by-layer API
// (dae::ReLU<S, cuda>, dae::Sigmoid<S, cuda>). In the model's own training step they are fused
// into their neighbours instead: the forward activation into the producing kernel's epilogue
// (conv, BatchNorm, Linear), ReLU's derivative into the next layer's backward-data epilogue
// (masked by that layer's input, which is the ReLU's output), and Sigmoid's derivative into the
// MSE gradient. Both backward passes use the forward *output*, as on the CPU, so they may run in
// place.
#pragma once

#include "common.cuh"

namespace dae::kernels {

/// dL/dx of ReLU from its output y: dy where y > 0, else 0 (PyTorch's 0 at x == 0).
DAE_HOST_DEVICE inline float relu_backward_element(float y, float dy) { return y > 0.0f ? dy : 0.0f; }
/// dL/dx of Sigmoid from its output y: dy * y * (1 - y), in that order (as the CPU).
DAE_HOST_DEVICE inline float sigmoid_backward_element(float y, float dy) { return dy * y * (1.0f - y); }

#if defined(DAE_CUDA_KERNELS)

template <Activation Act>
__global__ void __launch_bounds__(kThreads) activation_forward_kernel(const float* x, float* y, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    y[i] = activate<Act>(x[i]);
}

static __global__ void __launch_bounds__(kThreads)
    relu_backward_kernel(const float* y, const float* dy, float* dx, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    dx[i] = relu_backward_element(y[i], dy[i]);
}

static __global__ void __launch_bounds__(kThreads)
    sigmoid_backward_kernel(const float* y, const float* dy, float* dx, long long count) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    dx[i] = sigmoid_backward_element(y[i], dy[i]);
}

/// y = max(x, 0) element-wise; y may be x.
inline void relu_forward(const float* x, float* y, long long count, cudaStream_t stream) {
  if (count == 0) return;
  cuda_backend::launch("activation_forward_kernel", activation_forward_kernel<Activation::relu>,
                       {grid_size(count), kThreads, stream}, x, y, count);
}
/// dx = dy where y > 0; dx may be dy.
inline void relu_backward(const float* y, const float* dy, float* dx, long long count, cudaStream_t stream) {
  if (count == 0) return;
  cuda_backend::launch("relu_backward_kernel", relu_backward_kernel,
                       {grid_size(count), kThreads, stream}, y, dy, dx, count);
}
/// y = sigmoid(x) element-wise; y may be x.
inline void sigmoid_forward(const float* x, float* y, long long count, cudaStream_t stream) {
  if (count == 0) return;
  cuda_backend::launch("activation_forward_kernel", activation_forward_kernel<Activation::sigmoid>,
                       {grid_size(count), kThreads, stream}, x, y, count);
}
/// dx = dy * y * (1 - y); dx may be dy.
inline void sigmoid_backward(const float* y, const float* dy, float* dx, long long count, cudaStream_t stream) {
  if (count == 0) return;
  cuda_backend::launch("sigmoid_backward_kernel", sigmoid_backward_kernel,
                       {grid_size(count), kThreads, stream}, y, dy, dx, count);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
