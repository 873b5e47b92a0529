// What the convolution kernels (conv2d.cuh, conv_transpose2d.cuh, conv_weight_grad.cuh) share
// beyond the geometry itself, which is dae::ConvGeometry (dae/conv_geometry.hpp, one type for
// the layers, the CPU backend and the kernels): a bias gradient's share of a plane, and how the
// weight-gradient kernel lays its sums over a block. Host and device, so the CPU tests run them.
#pragma once

#include "common.cuh"
#include "dae/conv_geometry.hpp"

namespace dae::kernels {

/// Whether the forward and backward-data kernels stage G's whole weight tensor in shared memory:
/// when it takes at most 40 KiB (the bias beside it, under the 48 KiB a block may declare). A
/// larger one is read from global memory, through the read-only cache, so that no layer size is
/// refused.
template <class G>
DAE_HOST_DEVICE constexpr bool stages_weights() {
  return G::weight_size * 4 <= 40 * 1024;
}

#if defined(DAE_CUDA_KERNELS)
/// The weights a forward or backward-data kernel's block reads: copied into `shared` by all its
/// threads when stages_weights<G>() (the caller then synchronises), else `weight` itself.
template <class G>
__device__ inline const float* block_weights(const float* weight, float* shared /* weight_size, or 1 */) {
  if constexpr (stages_weights<G>()) {
    for (int i = threadIdx.x; i < G::weight_size; i += blockDim.x) shared[i] = weight[i];
    return shared;
  } else {
    return weight;
  }
}
#endif  // DAE_CUDA_KERNELS

/// Sum of plane[first], plane[first + step], ... below `count`: a bias gradient's share.
DAE_HOST_DEVICE inline float plane_sum(const float* plane, int count, int first = 0, int step = 1) {
  float sum = 0.0f;
  for (int p = first; p < count; p += step) sum += plane[p];
  return sum;
}

/// How the weight-gradient kernel spreads the (weight + bias) sums of one block over its threads:
/// with fewer sums than threads, `groups` thread groups each take every groups-th position and are
/// added in group order at the end; otherwise each thread owns `per_thread` sums.
template <int Pairs, int Threads>
struct WeightGradLayout {
  static_assert(Pairs > 0 && Threads > 0, "WeightGradLayout: positive sizes");
  static constexpr int groups = Pairs >= Threads ? 1 : Threads / Pairs;
  static constexpr int lanes = Threads / groups;  ///< threads per group, >= Pairs when groups > 1
  static constexpr int per_thread = (Pairs + lanes - 1) / lanes;
  static_assert(groups == 1 || per_thread == 1, "WeightGradLayout: grouped layout owns one sum per thread");
};

/// Blocks of the weight-gradient kernels: a function of the batch alone (see samples_per_block).
inline constexpr long long kWeightGradBlocks = 256;

}  // namespace dae::kernels
