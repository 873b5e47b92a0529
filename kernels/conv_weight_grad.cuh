// The weight-gradient reduction shared by Conv2d and ConvTranspose2d: for a convolution geometry
// G, dW(o, c, ky, kx) = sum over samples and output positions of g(o, oy, ox) * a(c, iy, ix), where
// `a` lives in G's input space and `g` in its output space (Conv2d: a = x, g = dy; ConvTranspose2d:
// a = dy, g = x, see conv_geometry.cuh), plus a bias gradient that sums g per channel (Conv2d) or
// a per channel (ConvTranspose2d, whose output is G's input).
//
// Stage 1 (this file): each block takes a fixed run of samples, stages each sample's `a` and `g`
// in shared memory, and every thread accumulates its own weights (or, when there are fewer sums
// than threads, a fixed share of their positions). The block writes one row of partial sums.
// Stage 2 (reduce.cuh) adds the rows in order into the gradients. No atomics: deterministic.
#pragma once

#include "conv_geometry.cuh"
#include "reduce.cuh"

namespace dae::kernels {

/// Where a bias gradient comes from: G's output channels (Conv2d) or input channels (ConvTranspose2d).
enum class BiasSide { output, input };

template <class G, BiasSide Side>
struct ConvWeightGradShape {
  static constexpr int bias_channels = Side == BiasSide::output ? G::O : G::C;
  static constexpr int pairs = G::weight_size + bias_channels;  ///< partial sums per block
  using Layout = WeightGradLayout<pairs, kThreads>;
  /// Floats of workspace the two stages need for `batch` samples.
  static constexpr long long workspace(long long batch) {
    return ceil_div(batch, samples_per_block(batch, kWeightGradBlocks)) * pairs;
  }
};

#if defined(DAE_CUDA_KERNELS)

/// Stage 1 body: this block's row of partial (weight, bias) sums over its samples.
template <class G, BiasSide Side>
__device__ inline void conv_weight_grad_partials(const float* __restrict__ a,  // (N, G::C, G::H, G::W)
                                                 const float* __restrict__ g,  // (N, G::O, G::OH, G::OW)
                                                 long long batch, long long per_block,
                                                 float* __restrict__ partials) {  // (blocks, pairs)
  using Shape = ConvWeightGradShape<G, Side>;
  using Layout = typename Shape::Layout;
  constexpr int kPairs = Shape::pairs;
  // Preconditions
  static_assert((G::input_size + G::output_size) * 4 <= 40 * 1024,
                "conv weight gradient: one sample of input and output must fit in shared memory");
  DAE_SHARED(float[G::input_size], as);   // (C,H,W)
  DAE_SHARED(float[G::output_size], gs);  // (O,OH,OW)

  const int lane = threadIdx.x % Layout::lanes, group = threadIdx.x / Layout::lanes;
  const bool active = group < Layout::groups;
  float acc[Layout::per_thread];
#pragma unroll
  for (int j = 0; j < Layout::per_thread; ++j) acc[j] = 0.0f;

  const long long first = blockIdx.x * per_block;
  const long long last = first + per_block < batch ? first + per_block : batch;
  for (long long n = first; n < last; ++n) {
    __syncthreads();  // the previous sample is no longer read
    for (int i = threadIdx.x; i < G::input_size; i += blockDim.x) as[i] = a[n * G::input_size + i];
    for (int i = threadIdx.x; i < G::output_size; i += blockDim.x) gs[i] = g[n * G::output_size + i];
    __syncthreads();
    if (!active) continue;
#pragma unroll
    for (int j = 0; j < Layout::per_thread; ++j) {
      const int pair = lane + j * Layout::lanes;
      if (pair < G::weight_size) {
        const int o = pair / G::taps, r = pair % G::taps;
        const int c = r / (G::K * G::K), ky = (r / G::K) % G::K, kx = r % G::K;
        acc[j] += G::weight_grad_at(as, gs, o, c, ky, kx, group, Layout::groups);
      } else if (pair < kPairs) {
        const int ch = pair - G::weight_size;
        acc[j] += Side == BiasSide::output ? plane_sum(gs + ch * G::out_plane, G::out_plane, group, Layout::groups)
                                           : plane_sum(as + ch * G::in_plane, G::in_plane, group, Layout::groups);
      }
    }
  }

  float* row = partials + blockIdx.x * static_cast<long long>(kPairs);
  if constexpr (Layout::groups == 1) {
#pragma unroll
    for (int j = 0; j < Layout::per_thread; ++j) {
      const int pair = lane + j * Layout::lanes;
      if (pair < kPairs) row[pair] = acc[j];
    }
  } else {
    DAE_SHARED(float[Layout::groups * kPairs], shares);  // (groups, pairs)
    if (active && lane < kPairs) shares[group * kPairs + lane] = acc[0];
    __syncthreads();
    if (threadIdx.x < kPairs) {
      float sum = 0.0f;
      for (int gi = 0; gi < Layout::groups; ++gi) sum += shares[gi * kPairs + threadIdx.x];
      row[threadIdx.x] = sum;
    }
  }
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
