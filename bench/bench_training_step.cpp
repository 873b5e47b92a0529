// The whole training step of the reference autoencoder on the CPU: Autoencoder<4>::train_step at
// batch 256 (forward, MSE, backward, Adam), with 1 and 2 threads. Inputs are MNIST-like: random
// bright strokes on a dark background, plus the training noise, clamped to [0, 1].
//
// Counters: images/s and GFLOP/s (1.76 MFLOP per image for forward + backward, the convolution
// and Linear multiply-adds counted as two FLOPs; element-wise work not counted), and the
// projected seconds of one epoch of 48,000 images (188 steps).
//
// Also the input noise of one batch (data::add_noise, 32 normals per AVX2 call) against the same
// values drawn pixel by pixel through the scalar normal_at, the definition it must equal; epoch_s
// is again the projection to 48,000 images.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/data/noise.hpp"
#include "dae/rng.hpp"

namespace {

constexpr double kFlopsPerImage = 1.76e6;

void fill_batch(dae::Tensor<dae::Shape<1, 28, 28>>& clean, dae::Tensor<dae::Shape<1, 28, 28>>& noisy) {
  dae::Rng rng(5);
  for (Eigen::Index n = 0; n < clean.batch(); ++n) {
    float* image = clean.sample(n);
    std::fill(image, image + 784, 0.0f);
    for (int stroke = 0; stroke < 3; ++stroke) {  // a few thick segments, like pen strokes
      const int y = 4 + static_cast<int>(rng.below(20)), x = 4 + static_cast<int>(rng.below(20));
      const int dy = static_cast<int>(rng.below(3)) - 1, dx = static_cast<int>(rng.below(3)) - 1;
      for (int t = 0; t < 8; ++t) {
        const int cy = std::clamp(y + dy * t, 1, 26), cx = std::clamp(x + dx * t, 1, 26);
        for (int oy = -1; oy <= 1; ++oy)
          for (int ox = -1; ox <= 1; ++ox) image[(cy + oy) * 28 + cx + ox] = 1.0f;
      }
    }
    for (int i = 0; i < 784; ++i)
      noisy.sample(n)[i] = std::clamp(image[i] + 0.3f * static_cast<float>(rng.normal()), 0.0f, 1.0f);
  }
}

void BM_TrainStep(benchmark::State& state) {
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  dae::set_threads(static_cast<int>(state.range(1)));
  dae::Autoencoder<4> model(0);
  model.train();
  dae::Tensor<dae::Shape<1, 28, 28>> clean(batch), noisy(batch);
  fill_batch(clean, noisy);
  model.train_step(noisy, clean);  // sizes every workspace
  for (auto _ : state) benchmark::DoNotOptimize(model.train_step(noisy, clean));
  const auto images = static_cast<double>(state.iterations() * batch);
  state.counters["images/s"] = benchmark::Counter(images, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(images * kFlopsPerImage * 1e-9, benchmark::Counter::kIsRate);
  state.counters["epoch_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(batch) / 48000.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

/// Evaluation-mode encoding (what `dae_mnist encode` does per batch).
void BM_Encode(benchmark::State& state) {
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  dae::set_threads(static_cast<int>(state.range(1)));
  dae::Autoencoder<4> model(0);
  model.eval();
  dae::Tensor<dae::Shape<1, 28, 28>> clean(batch), noisy(batch);
  fill_batch(clean, noisy);
  dae::Tensor<dae::Shape<4>> codes;
  model.encode(clean, codes);
  for (auto _ : state) {
    model.encode(clean, codes);
    benchmark::DoNotOptimize(codes.data());
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}

void noise_counters(benchmark::State& state, Eigen::Index batch) {
  state.counters["epoch_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(batch) / 48000.0,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_AddNoise(benchmark::State& state) {
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  dae::set_threads(static_cast<int>(state.range(1)));
  dae::Tensor<dae::Shape<1, 28, 28>> clean(batch), noisy(batch);
  fill_batch(clean, noisy);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(batch));
  std::iota(ids.begin(), ids.end(), std::int64_t{1000});
  for (auto _ : state) {
    dae::data::add_noise(clean.data(), noisy.data(), ids, 784, 0.3f, 0,
                         dae::data::kTrainNoiseStream);
    benchmark::DoNotOptimize(noisy.data());
  }
  noise_counters(state, batch);
}

void BM_AddNoisePerPixel(benchmark::State& state) {
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  dae::Tensor<dae::Shape<1, 28, 28>> clean(batch), noisy(batch);
  fill_batch(clean, noisy);
  for (auto _ : state) {
    for (Eigen::Index n = 0; n < batch; ++n) {
      const auto base = static_cast<std::uint64_t>(1000 + n) * 784;
      for (int p = 0; p < 784; ++p) {
        noisy.sample(n)[p] = dae::data::noisy_value(
            clean.sample(n)[p], 0.3f,
            dae::normal_at(0, dae::data::kTrainNoiseStream, base + static_cast<std::uint64_t>(p)));
      }
    }
    benchmark::DoNotOptimize(noisy.data());
  }
  noise_counters(state, batch);
}

}  // namespace

BENCHMARK(BM_AddNoise)
    ->ArgNames({"batch", "threads"})
    ->Args({256, 1})
    ->Args({256, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_AddNoisePerPixel)
    ->ArgNames({"batch"})
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_TrainStep)->ArgNames({"batch", "threads"})->Args({256, 1})->Args({256, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Encode)->ArgNames({"batch", "threads"})->Args({1000, 1})->Args({1000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
