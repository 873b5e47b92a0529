// Mean squared error on the GPU, as dae::mse_loss (torch.nn.MSELoss(reduction="mean")): the loss
// is summed in double per block (fixed tree), the block sums are added in order by one thread,
// and the result stays on the device -- written to `loss` and optionally added to an epoch
// accumulator -- so a training step needs no host synchronisation. The gradient
// dL/dy = (2 / numel) (y - target) can have Sigmoid's derivative fused in (dL/dlogits), which is
// how the model's step uses it. The number of blocks depends on the element count only.
#pragma once

#include "common.cuh"

namespace dae::kernels {

inline constexpr long long kMseBlocks = 256;

/// The gradient element: scale * (y - target), then * y * (1 - y) with the sigmoid fused.
template <bool FuseSigmoid>
DAE_HOST_DEVICE inline float mse_gradient_element(float y, float target, float scale) {
  const float g = scale * (y - target);
  if constexpr (FuseSigmoid) return g * y * (1.0f - y);
  else return g;
}

/// Blocks of the MSE kernels for `count` elements.
DAE_HOST_DEVICE constexpr long long mse_blocks(long long count) {
  const long long wanted = ceil_div<long long>(count, kThreads);
  return wanted < kMseBlocks ? (wanted < 1 ? 1 : wanted) : kMseBlocks;
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

/// loss = sum of the partials (in order) / count; accumulator (if set) += loss.
static __global__ void mse_loss_finalize_kernel(const double* __restrict__ partials, long long blocks, long long count,
                                         double* __restrict__ loss, double* __restrict__ accumulator) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  double sum = 0.0;
  for (long long b = 0; b < blocks; ++b) sum += partials[b];
  const double value = sum / static_cast<double>(count);
  *loss = value;
  if (accumulator != nullptr) *accumulator += value;
}

/// mean((y - target)^2) into *loss (device), and added to *accumulator when not null.
/// `workspace` holds kMseBlocks doubles.
inline void mse_loss_forward(const float* y, const float* target, long long count, double* loss,
                             double* accumulator, double* workspace, cudaStream_t stream) {
  const long long blocks = mse_blocks(count);
  cuda_backend::launch("mse_loss_partials_kernel", mse_loss_partials_kernel<false, false>,
                       {static_cast<unsigned>(blocks), kThreads, stream}, y, target, count, 0.0f,
                       nullptr, workspace);
  cuda_backend::launch("mse_loss_finalize_kernel", mse_loss_finalize_kernel, {1, 32, stream},
                       workspace, blocks, count, loss, accumulator);
}

/// As mse_loss_forward, and dy = dL/dy (times y (1 - y) when FuseSigmoid: dL/dlogits).
template <bool FuseSigmoid>
void mse_loss_backward(const float* y, const float* target, long long count, float* dy, double* loss,
                       double* accumulator, double* workspace, cudaStream_t stream) {
  const long long blocks = mse_blocks(count);
  const auto scale = static_cast<float>(2.0 / static_cast<double>(count));
  cuda_backend::launch("mse_loss_partials_kernel", mse_loss_partials_kernel<true, FuseSigmoid>,
                       {static_cast<unsigned>(blocks), kThreads, stream}, y, target, count, scale,
                       dy, workspace);
  cuda_backend::launch("mse_loss_finalize_kernel", mse_loss_finalize_kernel, {1, 32, stream},
                       workspace, blocks, count, loss, accumulator);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
