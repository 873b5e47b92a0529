// Softmax cross-entropy on the GPU, as dae::cross_entropy_loss (torch.nn.CrossEntropyLoss on raw
// logits, mean over the batch), and the count of samples classified right. One thread works one
// sample in double (a stable log-sum-exp, as backend/cpu/cross_entropy.hpp does), the block sums
// are a fixed tree and loss_reduction.cuh adds them in order, so the result has the same bits on
// every device and stays on the device (a training step never waits for it).
#pragma once

#include <cstdint>

#include "common.cuh"
#include "loss_reduction.cuh"

namespace dae::kernels {

/// One sample's loss, log(sum_j exp(z_j)) - z[label]; writes scale * (softmax(z) - onehot(label))
/// into dz when it is not null.
template <int Classes>
DAE_HOST_DEVICE inline double cross_entropy_sample(const float* z, std::int32_t label, double scale, float* dz) {
  double largest = static_cast<double>(z[0]);
  for (int c = 1; c < Classes; ++c) largest = ::fmax(largest, static_cast<double>(z[c]));
  double sum = 0.0;
  for (int c = 0; c < Classes; ++c) sum += ::exp(static_cast<double>(z[c]) - largest);
  if (dz != nullptr) {
    for (int c = 0; c < Classes; ++c) {
      const double p = ::exp(static_cast<double>(z[c]) - largest) / sum;
      dz[c] = static_cast<float>(scale * (p - (c == label ? 1.0 : 0.0)));
    }
  }
  return ::log(sum) + largest - static_cast<double>(z[label]);
}

/// 1 when the first largest logit is at the label, else 0.
template <int Classes>
DAE_HOST_DEVICE inline double is_correct(const float* z, std::int32_t label) {
  int best = 0;
  for (int c = 1; c < Classes; ++c)
    if (z[c] > z[best]) best = c;
  return best == label ? 1.0 : 0.0;
}

/// What a cross-entropy pass sums over the samples.
enum class CrossEntropySum { loss, loss_and_gradient, correct };

#if defined(DAE_CUDA_KERNELS)

/// Per-block sums over the samples of the loss (writing dlogits with loss_and_gradient) or of the
/// correct classifications.
template <int Classes, CrossEntropySum What>
__global__ void __launch_bounds__(kThreads)
    cross_entropy_partials_kernel(const float* __restrict__ logits, const std::int32_t* __restrict__ labels,
                                  long long batch, double scale, float* __restrict__ dlogits,
                                  double* __restrict__ partials) {
  DAE_SHARED(double[kThreads / 32], scratch);
  double sum = 0.0;
  for (long long n = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; n < batch;
       n += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float* z = logits + n * Classes;
    if constexpr (What == CrossEntropySum::correct)
      sum += is_correct<Classes>(z, labels[n]);
    else
      sum += cross_entropy_sample<Classes>(z, labels[n], scale,
                                           What == CrossEntropySum::loss_and_gradient ? dlogits + n * Classes : nullptr);
  }
  sum = block_sum<kThreads>(sum, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

/// The mean loss into *loss (device), added to *accumulator when not null; dlogits = dL/dlogits
/// when not null. `workspace` holds kLossBlocks doubles.
template <int Classes>
void cross_entropy_loss(const float* logits, const std::int32_t* labels, long long batch, float* dlogits,
                        double* loss, double* accumulator, double* workspace, cudaStream_t stream) {
  const long long blocks = loss_blocks(batch);
  const double scale = 1.0 / static_cast<double>(batch);
  const cuda_backend::LaunchShape shape{static_cast<unsigned>(blocks), kThreads, stream};
  if (dlogits != nullptr)
    cuda_backend::launch("cross_entropy_partials_kernel",
                         cross_entropy_partials_kernel<Classes, CrossEntropySum::loss_and_gradient>, shape, logits,
                         labels, batch, scale, dlogits, workspace);
  else
    cuda_backend::launch("cross_entropy_partials_kernel", cross_entropy_partials_kernel<Classes, CrossEntropySum::loss>,
                         shape, logits, labels, batch, scale, dlogits, workspace);
  finalize_loss(workspace, blocks, static_cast<double>(batch), loss, accumulator, stream);
}

/// The number of samples whose first largest logit is their label, into *correct (device, as a
/// double: exact below 2^53). `workspace` holds kLossBlocks doubles.
template <int Classes>
void count_correct(const float* logits, const std::int32_t* labels, long long batch, double* correct,
                   double* workspace, cudaStream_t stream) {
  const long long blocks = loss_blocks(batch);
  cuda_backend::launch("cross_entropy_partials_kernel",
                       cross_entropy_partials_kernel<Classes, CrossEntropySum::correct>,
                       {static_cast<unsigned>(blocks), kThreads, stream}, logits, labels, batch, 0.0, nullptr,
                       workspace);
  finalize_loss(workspace, blocks, 1.0, correct, nullptr, stream);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
