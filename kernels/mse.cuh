// Mean squared error on the GPU, as dae::mse_loss (torch.nn.MSELoss(reduction="mean")): the loss
// is summed in double per block (fixed tree), then by loss_reduction.cuh, and stays on the device
// (written to `loss`, optionally added to an epoch accumulator). The gradient
// dL/dy = (2 / numel) (y - target) can have Sigmoid's derivative fused in (dL/dlogits), which is
// how the model's step uses it.
#pragma once

#include "common.cuh"
#include "loss_reduction.cuh"

namespace dae::kernels {

/// The gradient element: scale * (y - target), then * y * (1 - y) with the sigmoid fused.
template <bool FuseSigmoid>
DAE_HOST_DEVICE inline float mse_gradient_element(float y, float target, float scale) {
  const float g = scale * (y - target);
  if constexpr (FuseSigmoid) return g * y * (1.0f - y);
  else return g;
}

#if defined(DAE_CUDA_KERNELS)

/// Per-block sums of squared differences (and, with Gradient, the gradient).
template <bool Gradient, bool FuseSigmoid>
__global__ void __launch_bounds__(kThreads)
    mse_loss_partials_kernel(const float* __restrict__ y, const float* __restrict__ target, long long count,
                             float scale, float* __restrict__ dy, double* __restrict__ partials) {
  DAE_SHARED(double[kThreads / 32], scratch);
  double sum = 0.0;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const double d = static_cast<double>(y[i]) - static_cast<double>(target[i]);
    sum += d * d;
    if constexpr (Gradient) dy[i] = mse_gradient_element<FuseSigmoid>(y[i], target[i], scale);
  }
  sum = block_sum<kThreads>(sum, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

/// mean((y - target)^2) into *loss (device), and added to *accumulator when not null.
/// `workspace` holds kLossBlocks doubles.
inline void mse_loss_forward(const float* y, const float* target, long long count, double* loss,
                             double* accumulator, double* workspace, cudaStream_t stream) {
  const long long blocks = loss_blocks(count);
  cuda_backend::launch("mse_loss_partials_kernel", mse_loss_partials_kernel<false, false>,
                       {static_cast<unsigned>(blocks), kThreads, stream}, y, target, count, 0.0f,
                       nullptr, workspace);
  finalize_loss(workspace, blocks, static_cast<double>(count), loss, accumulator, stream);
}

/// As mse_loss_forward, and dy = dL/dy (times y (1 - y) when FuseSigmoid: dL/dlogits).
template <bool FuseSigmoid>
void mse_loss_backward(const float* y, const float* target, long long count, float* dy, double* loss,
                       double* accumulator, double* workspace, cudaStream_t stream) {
  const long long blocks = loss_blocks(count);
  const auto scale = static_cast<float>(2.0 / static_cast<double>(count));
  cuda_backend::launch("mse_loss_partials_kernel", mse_loss_partials_kernel<true, FuseSigmoid>,
                       {static_cast<unsigned>(blocks), kThreads, stream}, y, target, count, scale,
                       dy, workspace);
  finalize_loss(workspace, blocks, static_cast<double>(count), loss, accumulator, stream);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
