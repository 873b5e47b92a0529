// k-means on the GPU against dae::cluster on the CPU, on a GPU: the assignment kernel gives
// cluster::predict's labels, and Lloyd iterations run by cuda_lloyd from the CPU result's centres
// are a fixed point with the CPU's labels, centres and inertia, and from k-means++-free starts
// agree with a plain host Lloyd loop written out here.
// Built by nvcc; exits 77 (skipped) without a usable device (cuda_main.cpp).
#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "dae/backend/cuda/kmeans.cuh"

using namespace dae;

namespace {

/// Gaussian blobs around `k` centres in 4-D.
std::vector<float> blobs(int n, int k, std::uint64_t seed) {
  Rng rng(seed, 1);
  std::vector<double> centres(static_cast<std::size_t>(k) * 4);
  for (double& c : centres) c = rng.uniform(-5.0f, 5.0f);
  std::vector<float> points(static_cast<std::size_t>(n) * 4);
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng.below(static_cast<std::uint64_t>(k)));
    for (int d = 0; d < 4; ++d) points[static_cast<std::size_t>(i) * 4 + d] = static_cast<float>(centres[c * 4 + d] + 0.7 * rng.normal());
  }
  return points;
}

}  // namespace

TEST_CASE("the assignment kernel gives cluster::predict's labels", "[cuda][kmeans]") {
  for (const int n : {1, 7, 2048, 2049, 48000}) {
    INFO("N = " << n);
    const auto points = blobs(n, 10, 3);
    std::vector<double> centres(40);
    Rng rng(2, 2);
    for (double& c : centres) c = rng.uniform(-5.0f, 5.0f);
    cluster::KMeansOptions options;
    options.k = std::min(10, n);
    centres.resize(static_cast<std::size_t>(options.k) * 4);
    options.max_iter = 1;
    options.tol = 0;
    // One iteration: the returned labels are the final assignment to the updated centres, so
    // compare them with predict() against the returned centres.
    const auto result = cluster::cuda_lloyd<4>(points, centres, options);
    CHECK(result.labels == cluster::predict(points, result.centres, 4));
  }
}

TEST_CASE("Lloyd on the GPU reproduces the CPU's k-means", "[cuda][kmeans]") {
  const auto points = blobs(48000, 10, 7);
  cluster::KMeansOptions options;
  options.k = 10;
  options.n_init = 3;
  options.max_iter = 300;
  options.seed = 5;
  options.tol = 0;  // the CPU stops only when no label changes: its centres are then a fixed point
  const auto cpu = cluster::kmeans<4>(points, options);
  REQUIRE(cpu.converged);
  // From the CPU's converged centres, the GPU must stop at once with the same everything.
  const auto gpu = cluster::cuda_lloyd<4>(points, cpu.centres, options);
  CHECK(gpu.labels == cpu.labels);
  CHECK(gpu.centres == cpu.centres);
  CHECK(gpu.inertia == cpu.inertia);
  CHECK(gpu.iterations <= 2);
}

TEST_CASE("Lloyd on the GPU follows a host Lloyd loop iteration for iteration", "[cuda][kmeans]") {
  const int n = 5000, k = 8;
  const auto points = blobs(n, k, 11);
  std::vector<double> centres(points.begin(), points.begin() + k * 4);  // the first k points
  cluster::KMeansOptions options;
  options.k = k;
  options.max_iter = 7;
  options.tol = 0;
  const auto gpu = cluster::cuda_lloyd<4>(points, centres, options);
  // Host Lloyd: assign by predict, mean of each cluster (none is empty: each start is a point).
  std::vector<double> host = centres;
  int iterations = 0;
  for (; iterations < options.max_iter; ++iterations) {
    const auto labels = cluster::predict(points, host, 4);
    std::vector<double> sums(k * 5, 0.0);
    for (int i = 0; i < n; ++i) {
      for (int d = 0; d < 4; ++d) sums[labels[i] * 5 + d] += points[i * 4 + d];
      sums[labels[i] * 5 + 4] += 1;
    }
    std::vector<double> next(k * 4);
    for (int c = 0; c < k; ++c)
      for (int d = 0; d < 4; ++d) next[c * 4 + d] = sums[c * 5 + d] / sums[c * 5 + 4];
    const bool same = next == host;
    host = std::move(next);
    if (same) break;
  }
  for (std::size_t j = 0; j < host.size(); ++j) CHECK(gpu.centres[j] == Approx(host[j]).epsilon(1e-12));
  CHECK(gpu.labels == cluster::predict(points, gpu.centres, 4));
}

TEST_CASE("cuda_lloyd refuses what the CPU k-means refuses", "[cuda][kmeans]") {
  std::vector<float> points(4 * 100);
  Rng rng(12, 0);
  for (float& p : points) p = static_cast<float>(rng.normal());
  const std::vector<double> centres(points.begin(), points.begin() + 4 * 3);
  cluster::KMeansOptions options{.k = 3, .max_iter = 0};
  CHECK_THROWS_WITH(cluster::cuda_lloyd<4>(points, centres, options), Catch::Contains("max_iter"));
  options = {.k = 3, .tol = -1.0};
  CHECK_THROWS_WITH(cluster::cuda_lloyd<4>(points, centres, options), Catch::Contains("tol"));
  points[4 * 7 + 2] = std::numeric_limits<float>::quiet_NaN();
  options = {.k = 3};
  CHECK_THROWS_WITH(cluster::cuda_lloyd<4>(points, centres, options), Catch::Contains("point 7"));
}
