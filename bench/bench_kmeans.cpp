// Benchmark of dae::cluster::kmeans on the pipeline's real case: 48,000 codes of dimension 4,
// k = 10, n_init = 20 (scikit-learn's defaults otherwise: max_iter 300, tol 1e-4).
//
// The points are 10 moderately overlapping gaussian clusters in 4-D, drawn with dae::Rng; or,
// when DAE_KMEANS_DATA names a DAEM matrix file (b"DAEM", uint32 dtype 0, rows, cols, float32
// values, as written by bench/kmeans_vs_sklearn.py), those points, so that the script can time
// scikit-learn on exactly the same data in the same run. Counters: inertia and the best
// restart's iterations, to check both sides solved the same problem.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "dae/cluster/kmeans.hpp"
#include "dae/rng.hpp"

namespace {

std::vector<float> make_points() {
  if (const char* path = std::getenv("DAE_KMEANS_DATA")) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::uint32_t header[3] = {1, 0, 0};
    if (bytes.size() >= 16 && std::memcmp(bytes.data(), "DAEM", 4) == 0) std::memcpy(header, bytes.data() + 4, 12);
    if (header[0] != 0 || header[2] != 4 || bytes.size() != 16 + 16 * std::size_t{header[1]})
      throw std::runtime_error(std::string("DAE_KMEANS_DATA: ") + path + " is not a float32 (N, 4) DAEM file");
    std::vector<float> points(std::size_t{header[1]} * 4);
    std::memcpy(points.data(), bytes.data() + 16, points.size() * 4);
    return points;
  }
  dae::Rng rng(2024);
  double centres[10][4];
  for (auto& c : centres)
    for (double& v : c) v = 3.0 * rng.normal();
  std::vector<float> points;
  points.reserve(48000 * 4);
  for (int i = 0; i < 48000; ++i) {
    const auto& c = centres[rng.below(10)];
    for (const double v : c) points.push_back(static_cast<float>(v + rng.normal()));
  }
  return points;
}

const std::vector<float>& points() {
  static const std::vector<float> p = make_points();
  return p;
}

void BM_KMeans(benchmark::State& state) {
  dae::cluster::KMeansOptions o;
  o.k = 10;
  o.n_init = static_cast<int>(state.range(0));
  o.threads = static_cast<int>(state.range(1));
  o.seed = 0;
  dae::cluster::KMeansResult r;
  for (auto _ : state) {
    r = dae::cluster::kmeans<4>(points(), o);
    benchmark::DoNotOptimize(r.inertia);
  }
  state.counters["inertia"] = r.inertia;
  state.counters["iterations"] = r.iterations;
  state.counters["n"] = static_cast<double>(points().size() / 4);
}

}  // namespace

// Args: n_init, threads.
BENCHMARK(BM_KMeans)->Args({20, 1})->Args({20, 2})->Args({1, 1})->Args({1, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
