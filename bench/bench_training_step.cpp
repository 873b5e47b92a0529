// The whole training step of the reference autoencoder on the CPU: Autoencoder<4>::train_step at
// batch 256 (forward, MSE, backward, Adam), with 1 and 2 threads. Inputs are MNIST-like: random
// bright strokes on a dark background, plus the training noise, clamped to [0, 1].
//
// Counters: images/s and GFLOP/s (1.76 MFLOP per image for forward + backward, the convolution
// and Linear multiply-adds counted as two FLOPs; element-wise work not counted), and the
// projected seconds of one epoch of 48,000 images (188 steps).
#include <benchmark/benchmark.h>

#include <algorithm>

#include "dae/autoencoder.hpp"
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

}  // namespace

BENCHMARK(BM_TrainStep)->ArgNames({"batch", "threads"})->Args({256, 1})->Args({256, 2})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Encode)->ArgNames({"batch", "threads"})->Args({1000, 1})->Args({1000, 2})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
