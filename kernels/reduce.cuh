// The second stage of every deterministic batch reduction in dae: per-block partial sums, laid out
// (blocks, columns), are added up block by block in index order (in double) and the column totals
// are *added* into one or two destinations (a weight gradient and a bias gradient, say). Doing the
// reduction this way instead of with atomics makes parameter gradients bit-reproducible.
#pragma once

#include "common.cuh"

namespace dae::kernels {

/// Column `column` of the (rows, columns) partials, summed over rows in order, in double.
DAE_HOST_DEVICE inline double sum_partials_column(const float* partials, long long rows, long long columns,
                                                  long long column) {
  double sum = 0.0;
  for (long long r = 0; r < rows; ++r) sum += partials[r * columns + column];
  return sum;
}

#if defined(DAE_CUDA_KERNELS)

/// dest_a[j] += sum_r partials[r][j] for j < columns_a; dest_b[j - columns_a] += ... for the rest.
static __global__ void reduce_partials_kernel(const float* __restrict__ partials,  // (rows, columns)
                                       long long rows, long long columns, float* __restrict__ dest_a,
                                       long long columns_a, float* __restrict__ dest_b) {
  for (long long j = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; j < columns;
       j += static_cast<long long>(gridDim.x) * blockDim.x) {
    const auto total = static_cast<float>(sum_partials_column(partials, rows, columns, j));
    if (j < columns_a) dest_a[j] += total;
    else dest_b[j - columns_a] += total;
  }
}

/// Launches reduce_partials_kernel. `dest_b` may be null when columns == columns_a.
inline void reduce_partials(const float* partials, long long rows, long long columns, float* dest_a,
                            long long columns_a, float* dest_b, cudaStream_t stream) {
  if (columns == 0) return;
  cuda_backend::launch("reduce_partials_kernel", reduce_partials_kernel,
                       {grid_size(columns), kThreads, stream}, partials, rows, columns, dest_a,
                       columns_a, dest_b);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
