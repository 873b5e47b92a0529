// The reduction every loss kernel ends with (mse.cuh, cross_entropy.cuh): each block writes the
// double sum of its elements' losses to a partial, then one thread adds the partials in order and
// divides, so the loss has the same bits for any device. The result stays on the device --
// written to `loss` and optionally added to an epoch accumulator -- so a training step needs no
// host synchronisation. The number of blocks depends on the element count only.
#pragma once

#include "common.cuh"

namespace dae::kernels {

/// The most blocks (and partials) a loss reduction uses.
inline constexpr long long kLossBlocks = 256;

/// Blocks of a loss kernel over `count` items.
DAE_HOST_DEVICE constexpr long long loss_blocks(long long count) {
  const long long wanted = ceil_div<long long>(count, kThreads);
  return wanted < kLossBlocks ? (wanted < 1 ? 1 : wanted) : kLossBlocks;
}

#if defined(DAE_CUDA_KERNELS)

/// *result = (sum of the partials, in order) / divisor; *accumulator (if set) += *result.
static __global__ void loss_finalize_kernel(const double* __restrict__ partials, long long blocks, double divisor,
                                            double* __restrict__ result, double* __restrict__ accumulator) {
  if (threadIdx.x != 0 || blockIdx.x != 0) return;
  double sum = 0.0;
  for (long long b = 0; b < blocks; ++b) sum += partials[b];
  const double value = sum / divisor;
  *result = value;
  if (accumulator != nullptr) *accumulator += value;
}

/// Launches loss_finalize_kernel on one thread.
inline void finalize_loss(const double* partials, long long blocks, double divisor, double* result,
                          double* accumulator, cudaStream_t stream) {
  cuda_backend::launch("loss_finalize_kernel", loss_finalize_kernel, {1, 32, stream}, partials, blocks, divisor,
                       result, accumulator);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
