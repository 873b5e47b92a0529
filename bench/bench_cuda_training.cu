// The whole training step and whole epochs of Autoencoder<4, dae::cuda>, with the CPU model's
// step for reference. The epoch benchmark does what a training run does: MNIST-sized data (48,000
// synthetic uint8 images, as fast to train on as real ones) resident on the device, a shuffled
// index list uploaded once per epoch, and per batch of 256 a gather, the noise, and an
// asynchronous training step, with one host synchronisation at the end of the epoch. GPU times
// come from CUDA events (manual time). BM_cuda_thirty_epochs is the figure to put next to
// bench/pytorch_reference.py (PyTorch eager, same model, same data sizes, same GPU).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/backend/cuda/data.cuh"
#include "dae/data/noise.hpp"

namespace {

using namespace dae;
using S = Shape<1, 28, 28>;
constexpr std::int64_t kTrainImages = 48000;
constexpr int kBatch = 256;

bool have_device() {
  static const bool ok = !cuda_backend::device_unavailable_reason().has_value();
  return ok;
}

Tensor<S> random_images(Eigen::Index batch, std::uint64_t seed) {
  Tensor<S> t(batch);
  Rng rng(seed, 1);
  for (Eigen::Index i = 0; i < t.matrix().size(); ++i) t.data()[i] = rng.uniform();
  return t;
}

void BM_cuda_train_step(benchmark::State& state) {
  if (!have_device()) return state.SkipWithError("no usable CUDA device");
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  Autoencoder<4, cuda> model(0);
  const Tensor<S, cuda> noisy(random_images(batch, 1)), clean(random_images(batch, 2));
  const cudaStream_t stream = cuda_backend::current_stream();
  model.train_step_async(noisy, clean);  // warm-up: allocations
  cuda_backend::Event start, stop;
  for (auto _ : state) {
    start.record(stream);
    model.train_step_async(noisy, clean);
    stop.record(stream);
    stop.synchronize();
    state.SetIterationTime(static_cast<double>(cuda_backend::Event::elapsed_ms(start, stop)) / 1e3);
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_cpu_train_step(benchmark::State& state) {
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  Autoencoder<4> model(0);
  const auto noisy = random_images(batch, 1), clean = random_images(batch, 2);
  for (auto _ : state) benchmark::DoNotOptimize(model.train_step(noisy, clean));
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
}

/// `epochs` epochs over 48,000 device-resident images; returns the seconds (CUDA events).
double run_epochs(int epochs, double* last_loss = nullptr) {
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(kTrainImages) * S::size);
  Rng rng(3, 3);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng.below(256));
  const auto images = data::ImageSet::from_u8(std::move(pixels), kTrainImages, 28, 28, "synthetic");
  const cuda_backend::DeviceImageSet<S> device(images);
  Autoencoder<4, cuda> model(0);
  cuda_backend::DeviceBuffer<std::int32_t> ids(kTrainImages);
  std::vector<std::int32_t> order(kTrainImages);
  Tensor<S, cuda> clean, noisy;
  const cudaStream_t stream = cuda_backend::current_stream();
  cuda_backend::Event start, stop;
  start.record(stream);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    for (std::int64_t i = kTrainImages - 1; i > 0; --i)
      std::swap(order[i], order[rng.below(static_cast<std::uint64_t>(i + 1))]);
    cuda_backend::copy_to_device(ids.data(), order.data(), order.size(), stream);
    for (std::int64_t first = 0; first < kTrainImages; first += kBatch) {
      const std::int64_t count = std::min<std::int64_t>(kBatch, kTrainImages - first);
      device.batch(ids.data() + first, count, clean);
      cuda_backend::add_noise(clean, noisy, {0.3f, 0, data::kTrainNoiseStream + static_cast<std::uint64_t>(epoch)},
                              ids.data() + first);
      model.train_step_async(noisy, clean);
    }
    const double sum = model.take_loss_sum();  // the one synchronisation per epoch
    if (last_loss != nullptr) *last_loss = sum / static_cast<double>((kTrainImages + kBatch - 1) / kBatch);
  }
  stop.record(stream);
  stop.synchronize();
  return static_cast<double>(cuda_backend::Event::elapsed_ms(start, stop)) / 1e3;
}

void BM_cuda_epoch(benchmark::State& state) {
  if (!have_device()) return state.SkipWithError("no usable CUDA device");
  for (auto _ : state) state.SetIterationTime(run_epochs(1));
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(kTrainImages), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_cuda_thirty_epochs(benchmark::State& state) {
  if (!have_device()) return state.SkipWithError("no usable CUDA device");
  double loss = 0;
  for (auto _ : state) state.SetIterationTime(run_epochs(30, &loss));
  state.counters["final_train_loss"] = loss;
}

BENCHMARK(BM_cuda_train_step)->Arg(256)->Arg(4096)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_cpu_train_step)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_cuda_epoch)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_cuda_thirty_epochs)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
