// Lloyd iterations of k-means on the GPU: dae::cluster::cuda_lloyd runs the CPU's Lloyd loop
// (include/dae/cluster/kmeans.hpp: assign, add up, relocate empty clusters, stop when no label
// changes or when the summed squared centre shift is at most tol times the mean per-feature
// variance, then one last assignment) from given initial centres, with the assignment and the
// centre sums on the device (kernels/kmeans.cuh). Those sums are the CPU's additions in the CPU's
// order, so from the same centres the iterations, labels, centres and inertia are the CPU's.
//
// The host reads k * (D + 2) numbers and the changed-label count per iteration to decide whether
// to stop (a few microseconds against an assignment over 48,000 points). Empty clusters are rare;
// when one occurs the labels are downloaded and the relocation runs on the host, as on the CPU.
// k-means++ seeding and restarts stay with the CPU implementation: give `cuda_lloyd` its centres.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "dae/backend/cuda/memory.hpp"
#include "dae/cluster/kmeans.hpp"
#include "dae/error.hpp"
#include "kernels/kmeans.cuh"

namespace dae::cluster {

/// Lloyd iterations on the GPU from `centres` (k, D), with the CPU's stopping rule and
/// empty-cluster relocation; `options.k` must equal centres.size() / D, and `options.max_iter`
/// and `options.tol` apply (seed, n_init and threads are not used).
/// @tparam D  dimension of the points
/// @return labels, centres, inertia, iterations and convergence (init_* hold this one run)
/// @throws dae::Error on bad sizes, k > kernels::kKMeansMaxClusters, or a CUDA failure
template <int D>
KMeansResult cuda_lloyd(std::span<const float> points, std::vector<double> centres, const KMeansOptions& options) {
  static_assert(D > 0, "cuda_lloyd<D>: D must be positive");
  detail::validate(points, D, options);  // the CPU k-means' checks: k, max_iter, tol, NaN points
  const int k = options.k;
  if (points.empty() || points.size() % D != 0)
    throw Error("kmeans (CUDA): " + std::to_string(points.size()) + " values are not a whole, non-zero number of " +
                std::to_string(D) + "-dimensional points");
  if (k < 1 || centres.size() != static_cast<std::size_t>(k) * D)
    throw Error("kmeans (CUDA): " + std::to_string(centres.size()) + " centre values for k = " + std::to_string(k));
  const auto n = static_cast<long long>(points.size() / D);
  if (k > n) throw Error("kmeans (CUDA): k = " + std::to_string(k) + " is more than N = " + std::to_string(n));
  const long long chunks = kernels::ceil_div<long long>(n, kernels::kKMeansChunk);
  const int stride = k * (D + 1);

  // tol * mean per-feature variance (numpy's var, ddof 0), computed as the CPU does.
  double variance = 0.0;
  {
    std::vector<double> mean(D, 0.0);
    for (long long i = 0; i < n; ++i)
      for (int d = 0; d < D; ++d) mean[d] += points[i * D + d];
    for (double& m : mean) m /= static_cast<double>(n);
    for (int d = 0; d < D; ++d) {
      double sum = 0.0;
      for (long long i = 0; i < n; ++i) {
        const double diff = points[i * D + d] - mean[d];
        sum += diff * diff;
      }
      variance += sum / static_cast<double>(n);
    }
    variance /= D;
  }
  const double tol = options.tol * variance;

  using cuda_backend::DeviceBuffer;
  const cudaStream_t stream = cuda_backend::current_stream();
  DeviceBuffer<float> x(points.size());
  DeviceBuffer<double> c(centres.size()), next(centres.size()), totals(stride), moved2(k), sums(chunks * stride),
      inertia(chunks);
  DeviceBuffer<std::int32_t> labels(n);
  DeviceBuffer<long long> changed(chunks);
  cuda_backend::copy_to_device(x.data(), points.data(), points.size(), stream);
  cuda_backend::copy_to_device(c.data(), centres.data(), centres.size(), stream);
  DAE_CUDA_CHECK(cudaMemsetAsync(labels.data(), 0xFF, n * sizeof(std::int32_t), stream));  // -1: all change

  std::vector<long long> changed_h(chunks);
  std::vector<double> totals_h(stride), next_h(centres.size()), moved2_h(k), inertia_h(chunks);
  std::vector<std::int32_t> labels_h;
  KMeansResult result;
  result.k = k;
  result.dim = D;
  bool strict = false;
  int iteration = 0;
  while (iteration < options.max_iter) {
    kernels::kmeans_assign<D>(x.data(), n, c.data(), k, labels.data(), changed.data(), sums.data(), inertia.data(),
                              stream);
    kernels::kmeans_update<D>(sums.data(), chunks, k, c.data(), totals.data(), next.data(), moved2.data(), stream);
    ++iteration;
    cuda_backend::copy_to_host(changed_h.data(), changed.data(), changed_h.size(), stream);
    cuda_backend::copy_to_host(totals_h.data(), totals.data(), totals_h.size(), stream);
    cuda_backend::copy_to_host(next_h.data(), next.data(), next_h.size(), stream);
    cuda_backend::copy_to_host(moved2_h.data(), moved2.data(), moved2_h.size(), stream);
    // Empty clusters: the CPU's relocation (farthest points from their old centres first).
    std::vector<int> empty;
    for (int j = 0; j < k; ++j)
      if (totals_h[j * (D + 1) + D] == 0.0) empty.push_back(j);
    const bool relocated = !empty.empty();
    if (relocated) {
      labels_h.resize(n);
      cuda_backend::copy_to_host(labels_h.data(), labels.data(), labels_h.size(), stream);
      std::vector<double> far(n);
      for (long long i = 0; i < n; ++i)
        far[i] = kernels::kmeans_distance<D>(points.data() + i * D, centres.data() + labels_h[i] * D);
      std::vector<long long> order(n);
      std::iota(order.begin(), order.end(), 0LL);
      std::stable_sort(order.begin(), order.end(), [&](long long a, long long b) { return far[a] > far[b]; });
      auto count = [&](int j) -> double& { return totals_h[j * (D + 1) + D]; };
      std::size_t at = 0;
      for (const int target : empty) {
        while (count(labels_h[order[at]]) <= 1.0) ++at;
        const long long i = order[at++];
        double* from = totals_h.data() + labels_h[i] * (D + 1);
        double* to = totals_h.data() + target * (D + 1);
        for (int d = 0; d < D; ++d) {
          from[d] -= points[i * D + d];
          to[d] = points[i * D + d];
        }
        from[D] -= 1.0;
        to[D] = 1.0;
      }
      for (int j = 0; j < k; ++j) {
        double shift = 0.0;
        for (int d = 0; d < D; ++d) {
          next_h[j * D + d] = totals_h[j * (D + 1) + d] / totals_h[j * (D + 1) + D];
          const double diff = next_h[j * D + d] - centres[j * D + d];
          shift += diff * diff;
        }
        moved2_h[j] = shift;
      }
    }
    double shift = 0.0;
    for (int j = 0; j < k; ++j) shift += moved2_h[j];
    centres = next_h;
    cuda_backend::copy_to_device(c.data(), centres.data(), centres.size(), stream);
    const long long moved = std::accumulate(changed_h.begin(), changed_h.end(), 0LL);
    if (moved == 0 && !relocated) {
      strict = true;
      break;
    }
    if (shift <= tol) break;
  }
  // The labels (and inertia) of the final centres: after a strict stop the last assignment already
  // matches them, but its inertia was taken against the previous centres, so assign once more.
  kernels::kmeans_assign<D>(x.data(), n, c.data(), k, labels.data(), changed.data(), sums.data(), inertia.data(),
                            stream);
  cuda_backend::copy_to_host(inertia_h.data(), inertia.data(), inertia_h.size(), stream);
  labels_h.resize(n);
  cuda_backend::copy_to_host(labels_h.data(), labels.data(), labels_h.size(), stream);
  result.labels.assign(labels_h.begin(), labels_h.end());
  result.centres = centres;
  result.inertia = std::accumulate(inertia_h.begin(), inertia_h.end(), 0.0);
  result.iterations = iteration;
  result.converged = strict || iteration < options.max_iter;
  result.init_inertia = {result.inertia};
  result.init_iterations = {iteration};
  return result;
}

}  // namespace dae::cluster
