// Conv2d on the GPU: forward (bias and activation fused into the epilogue), backward-data (with the
// derivative of the ReLU that produced the input fused in, when there is one), backward-weights
// (two-stage deterministic reduction, conv_weight_grad.cuh). Direct convolution, one thread per
// output element, the whole weight tensor staged in shared memory when it fits in 40 KiB
// (stages_weights; larger ones, such as examples/lenet's 32x16x5x5, are read through the
// read-only cache): at the model's sizes (at most 32x16x3x3 weights, 28x28 images) an im2col GEMM
// would spend more on the column matrix than on arithmetic, and each block re-uses its staged
// weights over a grid-stride run of elements.
//
//   conv2d_forward            y  (N,O,OH,OW) = act(conv(x (N,C,H,W), w (O,C,K,K)) + b (O))
//   conv2d_backward_data      dx (N,C,H,W)   = conv^T(dy, w)            [* (mask > 0)]
//   conv2d_backward_weights   dw (O,C,K,K) += sum_n corr(x, dy);  db (O) += sum dy
#pragma once

#include "conv_geometry.cuh"
#include "conv_weight_grad.cuh"

namespace dae::kernels {

#if defined(DAE_CUDA_KERNELS)

/// Forward: one thread per output element (grid-stride), bias and (stages_weights) weights in
/// shared memory.
template <class G, Activation Act>
__global__ void __launch_bounds__(kThreads)
    conv2d_forward_kernel(const float* __restrict__ x,       // (N,C,H,W)
                          const float* __restrict__ weight,  // (O,C,K,K)
                          const float* __restrict__ bias,    // (O)
                          float* __restrict__ y,             // (N,O,OH,OW)
                          long long batch) {
  DAE_SHARED(float[stages_weights<G>() ? G::weight_size : 1], staged);
  const float* w = block_weights<G>(weight, staged);
  DAE_SHARED(float[G::O], b);
  for (int i = threadIdx.x; i < G::O; i += blockDim.x) b[i] = bias[i];
  __syncthreads();
  const long long total = batch * G::output_size;
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long n = idx / G::output_size;
    const int r = static_cast<int>(idx - n * G::output_size);
    const int o = r / G::out_plane, p = r % G::out_plane;
    y[idx] = activate<Act>(b[o] + G::forward_at(x + n * G::input_size, w, o, p / G::OW, p % G::OW));
  }
}

/// Backward data: one thread per input element; with MaskRelu, the gradient is zeroed where
/// mask (the ReLU output that was this convolution's input) is not positive.
template <class G, bool MaskRelu>
__global__ void __launch_bounds__(kThreads)
    conv2d_backward_data_kernel(const float* __restrict__ dy,      // (N,O,OH,OW)
                                const float* __restrict__ weight,  // (O,C,K,K)
                                const float* __restrict__ mask,    // (N,C,H,W) or null
                                float* __restrict__ dx,            // (N,C,H,W)
                                long long batch) {
  DAE_SHARED(float[stages_weights<G>() ? G::weight_size : 1], staged);
  const float* w = block_weights<G>(weight, staged);
  __syncthreads();
  const long long total = batch * G::input_size;
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long n = idx / G::input_size;
    const int r = static_cast<int>(idx - n * G::input_size);
    const int c = r / G::in_plane, p = r % G::in_plane;
    float value = G::backward_data_at(dy + n * G::output_size, w, c, p / G::W, p % G::W);
    if constexpr (MaskRelu) value = mask[idx] > 0.0f ? value : 0.0f;
    dx[idx] = value;
  }
}

/// Backward weights, stage 1: one row of (weight, bias) partial sums per block of samples.
template <class G>
__global__ void __launch_bounds__(kThreads)
    conv2d_backward_weights_kernel(const float* __restrict__ x,   // (N,C,H,W)
                                   const float* __restrict__ dy,  // (N,O,OH,OW)
                                   long long batch, long long per_block,
                                   float* __restrict__ partials) {  // (blocks, O*C*K*K + O)
  conv_weight_grad_partials<G, BiasSide::output>(x, dy, batch, per_block, partials);
}

/// y = act(conv(x, weight) + bias) for `batch` samples.
template <class G, Activation Act = Activation::none>
void conv2d_forward(const float* x, const float* weight, const float* bias, float* y, long long batch,
                    cudaStream_t stream) {
  if (batch == 0) return;
  cuda_backend::launch("conv2d_forward_kernel", conv2d_forward_kernel<G, Act>,
                       {grid_size(batch * G::output_size), kThreads, stream}, x, weight, bias, y,
                       batch);
}

/// dx = conv^T(dy, weight), times (mask > 0) when `mask` is not null.
template <class G>
void conv2d_backward_data(const float* dy, const float* weight, const float* mask, float* dx, long long batch,
                          cudaStream_t stream) {
  if (batch == 0) return;
  const int blocks = grid_size(batch * G::input_size);
  if (mask != nullptr)
    cuda_backend::launch("conv2d_backward_data_kernel", conv2d_backward_data_kernel<G, true>,
                         {blocks, kThreads, stream}, dy, weight, mask, dx, batch);
  else
    cuda_backend::launch("conv2d_backward_data_kernel", conv2d_backward_data_kernel<G, false>,
                         {blocks, kThreads, stream}, dy, weight, mask, dx, batch);
}

/// Floats of workspace conv2d_backward_weights needs for `batch` samples.
template <class G>
constexpr long long conv2d_backward_weights_workspace(long long batch) {
  return ConvWeightGradShape<G, BiasSide::output>::workspace(batch);
}

/// dweight += sum_n corr(x, dy); dbias += sum of dy per channel. `workspace` holds at least
/// conv2d_backward_weights_workspace<G>(batch) floats.
template <class G>
void conv2d_backward_weights(const float* x, const float* dy, float* dweight, float* dbias, long long batch,
                             float* workspace, cudaStream_t stream) {
  if (batch == 0) return;
  const long long per_block = samples_per_block(batch, kWeightGradBlocks);
  const auto blocks = static_cast<int>(ceil_div(batch, per_block));
  cuda_backend::launch("conv2d_backward_weights_kernel", conv2d_backward_weights_kernel<G>,
                       {blocks, kThreads, stream}, x, dy, batch, per_block, workspace);
  reduce_partials(workspace, blocks, ConvWeightGradShape<G, BiasSide::output>::pairs, dweight,
                  G::weight_size, dbias, stream);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
