// ConvTranspose2d on the GPU, as the adjoint of the convolution G that maps the transposed
// convolution's *output* (G's input space) to its *input* (G's output space); see
// conv_geometry.cuh. Its weight [in, out, k, k] is G's weight [O, C, k, k] as stored.
//
//   conv_transpose2d_forward            y  (N,C,H,W)   = act(G^T(x (N,O,OH,OW), w) + b (C))
//   conv_transpose2d_backward_data      dx (N,O,OH,OW) = G(dy, w)            [* (mask > 0)]
//   conv_transpose2d_backward_weights   dw (O,C,K,K) += sum_n corr(dy, x);  db (C) += sum dy
//
// output_padding needs nothing here: it only makes G's input one row/column larger than G's
// window reaches from the other side, and G's formulas already see that.
#pragma once

#include "conv_geometry.cuh"
#include "conv_weight_grad.cuh"

namespace dae::kernels {

#if defined(DAE_CUDA_KERNELS)

/// Forward: one thread per output element (G's input space), bias and (stages_weights) weights
/// in shared memory.
template <class G, Activation Act>
__global__ void __launch_bounds__(kThreads)
    conv_transpose2d_forward_kernel(const float* __restrict__ x,       // (N,O,OH,OW) in G's terms
                                    const float* __restrict__ weight,  // (O,C,K,K)
                                    const float* __restrict__ bias,    // (C)
                                    float* __restrict__ y,             // (N,C,H,W)
                                    long long batch) {
  DAE_SHARED(float[stages_weights<G>() ? G::weight_size : 1], staged);
  const float* w = block_weights<G>(weight, staged);
  DAE_SHARED(float[G::C], b);
  for (int i = threadIdx.x; i < G::C; i += blockDim.x) b[i] = bias[i];
  __syncthreads();
  const long long total = batch * G::input_size;
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long n = idx / G::input_size;
    const int r = static_cast<int>(idx - n * G::input_size);
    const int c = r / G::in_plane, p = r % G::in_plane;
    y[idx] = activate<Act>(b[c] + G::backward_data_at(x + n * G::output_size, w, c, p / G::W, p % G::W));
  }
}

/// Backward data: one thread per element of x (G's output space); with MaskRelu, zero where the
/// ReLU output that was this layer's input (mask) is not positive.
template <class G, bool MaskRelu>
__global__ void __launch_bounds__(kThreads)
    conv_transpose2d_backward_data_kernel(const float* __restrict__ dy,      // (N,C,H,W)
                                          const float* __restrict__ weight,  // (O,C,K,K)
                                          const float* __restrict__ mask,    // (N,O,OH,OW) or null
                                          float* __restrict__ dx,            // (N,O,OH,OW)
                                          long long batch) {
  DAE_SHARED(float[stages_weights<G>() ? G::weight_size : 1], staged);
  const float* w = block_weights<G>(weight, staged);
  __syncthreads();
  const long long total = batch * G::output_size;
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long n = idx / G::output_size;
    const int r = static_cast<int>(idx - n * G::output_size);
    const int o = r / G::out_plane, p = r % G::out_plane;
    float value = G::forward_at(dy + n * G::input_size, w, o, p / G::OW, p % G::OW);
    if constexpr (MaskRelu) value = mask[idx] > 0.0f ? value : 0.0f;
    dx[idx] = value;
  }
}

/// Backward weights, stage 1: rows of (weight, bias) partial sums; `a` = dy, `g` = x in G's terms.
template <class G>
__global__ void __launch_bounds__(kThreads)
    conv_transpose2d_backward_weights_kernel(const float* __restrict__ x,   // (N,O,OH,OW)
                                             const float* __restrict__ dy,  // (N,C,H,W)
                                             long long batch, long long per_block,
                                             float* __restrict__ partials) {  // (blocks, O*C*K*K + C)
  conv_weight_grad_partials<G, BiasSide::input>(dy, x, batch, per_block, partials);
}

/// y = act(conv_transpose(x, weight) + bias) for `batch` samples.
template <class G, Activation Act = Activation::none>
void conv_transpose2d_forward(const float* x, const float* weight, const float* bias, float* y, long long batch,
                              cudaStream_t stream) {
  if (batch == 0) return;
  cuda_backend::launch("conv_transpose2d_forward_kernel", conv_transpose2d_forward_kernel<G, Act>,
                       {grid_size(batch * G::input_size), kThreads, stream}, x, weight, bias, y,
                       batch);
}

/// dx = G(dy, weight), times (mask > 0) when `mask` is not null.
template <class G>
void conv_transpose2d_backward_data(const float* dy, const float* weight, const float* mask, float* dx,
                                    long long batch, cudaStream_t stream) {
  if (batch == 0) return;
  const int blocks = grid_size(batch * G::output_size);
  if (mask != nullptr)
    cuda_backend::launch("conv_transpose2d_backward_data_kernel",
                         conv_transpose2d_backward_data_kernel<G, true>, {blocks, kThreads, stream},
                         dy, weight, mask, dx, batch);
  else
    cuda_backend::launch("conv_transpose2d_backward_data_kernel",
                         conv_transpose2d_backward_data_kernel<G, false>,
                         {blocks, kThreads, stream}, dy, weight, mask, dx, batch);
}

/// Floats of workspace conv_transpose2d_backward_weights needs for `batch` samples.
template <class G>
constexpr long long conv_transpose2d_backward_weights_workspace(long long batch) {
  return ConvWeightGradShape<G, BiasSide::input>::workspace(batch);
}

/// dweight += sum_n corr(dy, x); dbias += sum of dy per output channel.
template <class G>
void conv_transpose2d_backward_weights(const float* x, const float* dy, float* dweight, float* dbias,
                                       long long batch, float* workspace, cudaStream_t stream) {
  if (batch == 0) return;
  const long long per_block = samples_per_block(batch, kWeightGradBlocks);
  const auto blocks = static_cast<int>(ceil_div(batch, per_block));
  cuda_backend::launch("conv_transpose2d_backward_weights_kernel",
                       conv_transpose2d_backward_weights_kernel<G>, {blocks, kThreads, stream}, x,
                       dy, batch, per_block, workspace);
  reduce_partials(workspace, blocks, ConvWeightGradShape<G, BiasSide::input>::pairs, dweight,
                  G::weight_size, dbias, stream);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
