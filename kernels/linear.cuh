// Linear on the GPU with our tiled GEMM (gemm.cuh); no cuBLAS. Batch-major tensors are row-major
// (batch, features) matrices and the weight is PyTorch's row-major (Out, In), so:
//
//   linear_forward            Y  (N,Out) = act(X (N,In) W^T + b)       A = X row-major, B = W^T
//   linear_backward_data      dX (N,In)  = dY (N,Out) W  [* (mask > 0)]  A = dY row-major, B = W
//   linear_backward_weights   dW (Out,In) += dY^T X;  db (Out) += sum_n dY
//
// The weight gradient reduces over the batch: K is cut into splits of kLinearSplitRows samples,
// each split's GEMM tile and bias column sums go to their own partial row, and reduce.cuh adds the
// rows in order into dW and db. Deterministic, no atomics.
#pragma once

#include "common.cuh"
#include "gemm.cuh"
#include "reduce.cuh"

namespace dae::kernels {

/// Samples per K-split of the weight gradient (fixed, so the summation order depends on N only).
inline constexpr long long kLinearSplitRows = 64;

using LinearForwardTile = GemmTile<true, false>;
using LinearBackwardDataTile = GemmTile<true, true>;
using LinearBackwardWeightsTile = GemmTile<false, true>;

/// Floats of workspace linear_backward_weights needs for `batch` samples.
template <int In, int Out>
constexpr long long linear_backward_weights_workspace(long long batch) {
  return ceil_div(batch, kLinearSplitRows) * (static_cast<long long>(Out) * In + Out);
}

#if defined(DAE_CUDA_KERNELS)

template <int In, int Out, Activation Act>
__global__ void __launch_bounds__(LinearForwardTile::threads)
    linear_forward_kernel(const float* __restrict__ x,       // (N,In)
                          const float* __restrict__ weight,  // (Out,In)
                          const float* __restrict__ bias,    // (Out)
                          float* __restrict__ y,             // (N,Out)
                          int batch) {
  gemm_block<LinearForwardTile>(batch, Out, 0, In, x, In, weight, In, BiasActivationEpilogue<Act>{y, Out, bias});
}

template <int In, int Out>
__global__ void __launch_bounds__(LinearBackwardDataTile::threads)
    linear_backward_data_kernel(const float* __restrict__ dy,      // (N,Out)
                                const float* __restrict__ weight,  // (Out,In)
                                const float* __restrict__ mask,    // (N,In) or null
                                float* __restrict__ dx,            // (N,In)
                                int batch) {
  gemm_block<LinearBackwardDataTile>(batch, In, 0, Out, dy, Out, weight, In, MaskEpilogue{dx, In, mask});
}

/// Stage 1 of dW: split blockIdx.z's dY^T X into its partial row.
template <int In, int Out>
__global__ void __launch_bounds__(LinearBackwardWeightsTile::threads)
    linear_backward_weights_kernel(const float* __restrict__ x,   // (N,In)
                                   const float* __restrict__ dy,  // (N,Out)
                                   int batch, float* __restrict__ partials) {  // (splits, Out*In + Out)
  constexpr long long kStride = static_cast<long long>(Out) * In + Out;
  const int k_begin = static_cast<int>(blockIdx.z * kLinearSplitRows);
  const int k_end = static_cast<int>(k_begin + kLinearSplitRows < batch ? k_begin + kLinearSplitRows : batch);
  gemm_block<LinearBackwardWeightsTile>(Out, In, k_begin, k_end, dy, Out, x, In,
                                        PartialEpilogue{partials + blockIdx.z * kStride, In});
}

/// Stage 1 of db: column sums of split blockIdx.y's rows of dY, 32 columns x 8 row lanes per block,
/// the lanes added in order.
template <int In, int Out>
__global__ void __launch_bounds__(256)
    linear_backward_bias_kernel(const float* __restrict__ dy,  // (N,Out)
                                int batch, float* __restrict__ partials) {  // (splits, Out*In + Out)
  constexpr long long kStride = static_cast<long long>(Out) * In + Out;
  DAE_SHARED(float[8][32], lanes);
  const int o = blockIdx.x * 32 + threadIdx.x;
  const long long k_begin = blockIdx.y * kLinearSplitRows;
  const long long k_end = k_begin + kLinearSplitRows < batch ? k_begin + kLinearSplitRows : batch;
  float sum = 0.0f;
  if (o < Out)
    for (long long k = k_begin + threadIdx.y; k < k_end; k += 8) sum += dy[k * Out + o];
  lanes[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && o < Out) {
    float total = 0.0f;
    for (int l = 0; l < 8; ++l) total += lanes[l][threadIdx.x];
    partials[blockIdx.y * kStride + static_cast<long long>(Out) * In + o] = total;
  }
}

/// y = act(x W^T + b) for `batch` rows.
template <int In, int Out, Activation Act = Activation::none>
void linear_forward(const float* x, const float* weight, const float* bias, float* y, long long batch,
                    cudaStream_t stream) {
  if (batch == 0) return;
  const int n = static_cast<int>(batch);
  cuda_backend::launch("linear_forward_kernel", linear_forward_kernel<In, Out, Act>,
                       {gemm_grid<LinearForwardTile>(n, Out), LinearForwardTile::threads, stream},
                       x, weight, bias, y, n);
}

/// dx = dy W, times (mask > 0) when `mask` is not null.
template <int In, int Out>
void linear_backward_data(const float* dy, const float* weight, const float* mask, float* dx, long long batch,
                          cudaStream_t stream) {
  if (batch == 0) return;
  const int n = static_cast<int>(batch);
  cuda_backend::launch(
      "linear_backward_data_kernel", linear_backward_data_kernel<In, Out>,
      {gemm_grid<LinearBackwardDataTile>(n, In), LinearBackwardDataTile::threads, stream}, dy,
      weight, mask, dx, n);
}

/// dweight += dy^T x; dbias += column sums of dy. `workspace` holds
/// linear_backward_weights_workspace<In, Out>(batch) floats.
template <int In, int Out>
void linear_backward_weights(const float* x, const float* dy, float* dweight, float* dbias, long long batch,
                             float* workspace, cudaStream_t stream) {
  if (batch == 0) return;
  const int n = static_cast<int>(batch);
  const int splits = static_cast<int>(ceil_div(batch, kLinearSplitRows));
  cuda_backend::launch("linear_backward_weights_kernel", linear_backward_weights_kernel<In, Out>,
                       {gemm_grid<LinearBackwardWeightsTile>(Out, In, splits),
                        LinearBackwardWeightsTile::threads, stream},
                       x, dy, n, workspace);
  cuda_backend::launch(
      "linear_backward_bias_kernel", linear_backward_bias_kernel<In, Out>,
      {dim3(static_cast<unsigned>(ceil_div(Out, 32)), static_cast<unsigned>(splits)), dim3(32, 8),
       stream},
      dy, n, workspace);
  reduce_partials(workspace, splits, static_cast<long long>(Out) * In + Out, dweight,
                  static_cast<long long>(Out) * In, dbias, stream);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
