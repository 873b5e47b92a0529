// Lloyd k-means on the GPU: the assignment step (nearest centre, lowest index on a tie) and the
// centre update, computed exactly as dae::cluster::kmeans on the CPU (include/dae/cluster/
// kmeans.hpp): squared distances in double summed over d in order, points in chunks of the same
// 2048, each chunk's per-cluster sums formed point by point in index order, the chunk sums added
// in chunk order. The additions are the CPU's, in the CPU's order, so labels, sums, centres and
// inertia are bit-identical to a CPU Lloyd iteration from the same centres.
//
// One block per chunk: threads label its points in parallel, then one thread per (cluster,
// coordinate) walks the chunk's labels in order (shared memory) to form the sums, and one thread
// adds the chunk's squared distances in order for the inertia. The update kernel adds the chunks in
// order and divides; empty clusters are left to the host driver (it relocates them as the CPU does).
#pragma once

#include <cstdint>
#include <string>

#include "common.cuh"
#include "dae/rounding.hpp"

namespace dae::kernels {

/// Points per chunk: the CPU's detail::kChunk.
inline constexpr int kKMeansChunk = 2048;
/// Largest k the kernels accept (centres are staged in shared memory).
inline constexpr int kKMeansMaxClusters = 64;

/// Squared distance between float point x and double centre c, over d in order (the CPU's formula).
template <int D>
DAE_HOST_DEVICE inline double kmeans_distance(const float* x, const double* c) {
  double sum = 0.0;
  for (int d = 0; d < D; ++d) {
    const double diff = static_cast<double>(x[d]) - c[d];
    sum = fma_rn(diff, diff, sum);  // the CPU's rounding: one fused multiply-add
  }
  return sum;
}

/// The nearest centre of x (the lowest index on a tie) and its squared distance.
template <int D>
DAE_HOST_DEVICE inline int kmeans_nearest(const float* x, const double* centres, int k, double& best_distance) {
  int best = 0;
  best_distance = kmeans_distance<D>(x, centres);
  for (int c = 1; c < k; ++c) {
    const double dist = kmeans_distance<D>(x, centres + c * D);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  return best;
}

#if defined(DAE_CUDA_KERNELS)

/// Labels chunk blockIdx.x; writes its changed-label count, per-cluster (sum, count) rows and
/// inertia (the sum of the squared distances to the new labels' centres).
template <int D>
__global__ void __launch_bounds__(kThreads)
    kmeans_assign_kernel(const float* __restrict__ points,   // (N, D)
                         long long n, const double* __restrict__ centres,  // (k, D)
                         int k, std::int32_t* __restrict__ labels,        // (N), in: previous labels
                         long long* __restrict__ changed,                 // (chunks)
                         double* __restrict__ sums,                       // (chunks, k, D + 1)
                         double* __restrict__ inertia) {                  // (chunks)
  // Preconditions
  static_assert(D > 0 && D <= 32, "kmeans_assign: 1 <= D <= 32");
  DAE_SHARED(double[kKMeansMaxClusters * D], c_s);
  DAE_SHARED(std::int32_t[kKMeansChunk], label_s);
  DAE_SHARED(double[kKMeansChunk], distance_s);
  DAE_SHARED(long long[kThreads / 32], scratch);
  for (int i = threadIdx.x; i < k * D; i += blockDim.x) c_s[i] = centres[i];
  __syncthreads();
  const long long first = blockIdx.x * static_cast<long long>(kKMeansChunk);
  const int count = static_cast<int>(n - first < kKMeansChunk ? n - first : kKMeansChunk);
  long long moved = 0;
  for (int j = threadIdx.x; j < count; j += blockDim.x) {
    double dist = 0.0;
    const int label = kmeans_nearest<D>(points + (first + j) * D, c_s, k, dist);
    moved += labels[first + j] != label;
    labels[first + j] = label;
    label_s[j] = label;
    distance_s[j] = dist;
  }
  moved = block_sum<kThreads>(moved, scratch);  // ends with a barrier: label_s is complete
  if (threadIdx.x == 0) changed[blockIdx.x] = moved;
  for (int t = threadIdx.x; t < k * (D + 1); t += blockDim.x) {
    const int cluster = t / (D + 1), d = t % (D + 1);
    double sum = 0.0;
    for (int j = 0; j < count; ++j)
      if (label_s[j] == cluster) sum += d < D ? static_cast<double>(points[(first + j) * D + d]) : 1.0;
    sums[(blockIdx.x * static_cast<long long>(k) + cluster) * (D + 1) + d] = sum;
  }
  if (threadIdx.x == blockDim.x - 1) {
    double sum = 0.0;
    for (int j = 0; j < count; ++j) sum += distance_s[j];
    inertia[blockIdx.x] = sum;
  }
}

/// totals (k, D+1) = the chunk rows added in chunk order; for clusters with points, next centre =
/// sum / count and moved2 = its squared shift from the old centre; empty clusters keep their old
/// centre (moved2 = 0) and are relocated by the host.
template <int D>
__global__ void kmeans_update_kernel(const double* __restrict__ sums,  // (chunks, k, D + 1)
                                     long long chunks, int k, const double* __restrict__ old_centres,  // (k, D)
                                     double* __restrict__ totals,       // (k, D + 1)
                                     double* __restrict__ next_centres, // (k, D)
                                     double* __restrict__ moved2) {     // (k)
  for (int t = threadIdx.x; t < k * (D + 1); t += blockDim.x) {
    double sum = 0.0;
    for (long long ch = 0; ch < chunks; ++ch) sum += sums[ch * k * (D + 1) + t];
    totals[t] = sum;
  }
  __syncthreads();
  for (int c = threadIdx.x; c < k; c += blockDim.x) {
    const double count = totals[c * (D + 1) + D];
    double shift = 0.0;
    for (int d = 0; d < D; ++d) {
      const double next = count > 0.0 ? totals[c * (D + 1) + d] / count : old_centres[c * D + d];
      const double diff = next - old_centres[c * D + d];
      next_centres[c * D + d] = next;
      shift = fma_rn(diff, diff, shift);  // the CPU's rounding: one fused multiply-add
    }
    moved2[c] = shift;
  }
}

/// The assignment step over N points in chunks of kKMeansChunk; see kmeans_assign_kernel.
template <int D>
void kmeans_assign(const float* points, long long n, const double* centres, int k, std::int32_t* labels,
                   long long* changed, double* sums, double* inertia, cudaStream_t stream) {
  if (n == 0) return;
  if (k < 1 || k > kKMeansMaxClusters)
    throw Error("kmeans (CUDA): k = " + std::to_string(k) + " must be in [1, " +
                std::to_string(kKMeansMaxClusters) + "]");
  const auto chunks = static_cast<unsigned>(ceil_div<long long>(n, kKMeansChunk));
  cuda_backend::launch("kmeans_assign_kernel", kmeans_assign_kernel<D>, {chunks, kThreads, stream},
                       points, n, centres, k, labels, changed, sums, inertia);
}

/// The centre update from kmeans_assign's sums; see kmeans_update_kernel.
template <int D>
void kmeans_update(const double* sums, long long chunks, int k, const double* old_centres, double* totals,
                   double* next_centres, double* moved2, cudaStream_t stream) {
  cuda_backend::launch("kmeans_update_kernel", kmeans_update_kernel<D>, {1, kThreads, stream}, sums,
                       chunks, k, old_centres, totals, next_centres, moved2);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
