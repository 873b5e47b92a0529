// Every layer op of the reference autoencoder on the CPU, forward and backward, at batch 256 and
// the model's own shapes, single-threaded by default (--threads N via DAE_BENCH_THREADS).
//
// Counters: GFLOP/s for the convolutions and Linear layers (a multiply-add is two FLOPs; backward
// counts the weight gradient plus the input gradient where the model computes one), and
// elements/s for BatchNorm, the activations and the loss.
#include <algorithm>
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "dae/autoencoder.hpp"
#include "dae/rng.hpp"

namespace {

constexpr Eigen::Index kBatch = 256;

int bench_threads() {
  const char* text = std::getenv("DAE_BENCH_THREADS");
  return text != nullptr ? std::max(1, std::atoi(text)) : 1;
}

template <class S>
dae::Tensor<S> random_tensor(std::uint64_t seed, float scale = 1.0f) {
  dae::Rng rng(seed);
  dae::Tensor<S> t(kBatch);
  for (Eigen::Index i = 0; i < t.matrix().size(); ++i) t.data()[i] = scale * static_cast<float>(rng.normal());
  return t;
}

void set_flops(benchmark::State& state, double flops_per_sample) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kBatch * flops_per_sample * 1e-9, benchmark::Counter::kIsRate);
}

void set_elements(benchmark::State& state, double elements_per_sample) {
  state.counters["elements/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kBatch * elements_per_sample, benchmark::Counter::kIsRate);
}

/// Multiply-adds of one sample of a Conv2d, ConvTranspose2d (window positions x weights) or
/// Linear (weights).
template <class Layer>
double macs(const Layer& layer) {
  double positions = 1;
  // The window positions are the smaller image: the output of a convolution, the input of a
  // transposed one.
  if constexpr (requires { Layer::input_shape::height; })
    positions = std::min(Layer::input_shape::height * Layer::input_shape::width,
                         Layer::output_shape::height * Layer::output_shape::width);
  return positions * static_cast<double>(layer.weight.value.size());
}

template <class Layer>
void BM_Forward(benchmark::State& state) {
  dae::set_threads(bench_threads());
  Layer layer;
  dae::Rng rng(1);
  layer.reset_parameters(rng);
  const auto x = random_tensor<typename Layer::input_shape>(2);
  dae::Tensor<typename Layer::output_shape> y(kBatch);
  for (auto _ : state) {
    layer.forward(x, y);
    benchmark::DoNotOptimize(y.data());
  }
  set_flops(state, 2 * macs(layer));
}

/// Backward; `WithDx` is whether the model asks this layer for its input gradient.
template <class Layer, bool WithDx>
void BM_Backward(benchmark::State& state) {
  dae::set_threads(bench_threads());
  Layer layer;
  dae::Rng rng(1);
  layer.reset_parameters(rng);
  const auto x = random_tensor<typename Layer::input_shape>(2);
  const auto dy = random_tensor<typename Layer::output_shape>(3);
  dae::Tensor<typename Layer::input_shape> dx(kBatch);
  for (auto _ : state) {
    layer.backward(x, dy, WithDx ? &dx : nullptr);
    benchmark::DoNotOptimize(layer.weight.grad.data());
  }
  set_flops(state, 2 * macs(layer) * (WithDx ? 2 : 1));
}

template <class S>
void BM_BatchNormForward(benchmark::State& state) {
  dae::set_threads(bench_threads());
  dae::BatchNorm2d<S> layer;
  const auto x = random_tensor<S>(4);
  dae::Tensor<S> y(kBatch);
  for (auto _ : state) {
    layer.forward(x, y);
    benchmark::DoNotOptimize(y.data());
  }
  set_elements(state, S::size);
}

template <class S>
void BM_BatchNormBackward(benchmark::State& state) {
  dae::set_threads(bench_threads());
  dae::BatchNorm2d<S> layer;
  const auto x = random_tensor<S>(4);
  const auto dy = random_tensor<S>(5);
  dae::Tensor<S> y(kBatch), dx(kBatch);
  layer.forward(x, y);
  for (auto _ : state) {
    layer.backward(x, dy, &dx);
    benchmark::DoNotOptimize(dx.data());
  }
  set_elements(state, S::size);
}

template <class Activation>
void BM_ActivationForward(benchmark::State& state) {
  dae::set_threads(bench_threads());
  using S = typename Activation::input_shape;
  const auto x = random_tensor<S>(6);
  dae::Tensor<S> y(kBatch);
  for (auto _ : state) {
    Activation::forward(x, y);
    benchmark::DoNotOptimize(y.data());
  }
  set_elements(state, S::size);
}

template <class Activation>
void BM_ActivationBackward(benchmark::State& state) {
  dae::set_threads(bench_threads());
  using S = typename Activation::input_shape;
  const auto x = random_tensor<S>(6);
  const auto dy = random_tensor<S>(7);
  dae::Tensor<S> y(kBatch), dx(kBatch);
  Activation::forward(x, y);
  for (auto _ : state) {
    Activation::backward(y, dy, dx);
    benchmark::DoNotOptimize(dx.data());
  }
  set_elements(state, S::size);
}

void BM_MseLoss(benchmark::State& state) {
  using S = dae::Shape<1, 28, 28>;
  const auto y = random_tensor<S>(8);
  const auto target = random_tensor<S>(9);
  dae::Tensor<S> dy(kBatch);
  for (auto _ : state) benchmark::DoNotOptimize(dae::mse_loss(y, target, dy));
  set_elements(state, S::size);
}

using dae::Shape;
// Encoder
using Conv0 = dae::Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1>;
using Conv2 = dae::Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1>;
using Conv5 = dae::Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0>;
using EncLin0 = dae::Linear<288, 128>;
using EncLin2 = dae::Linear<128, 4>;
// Decoder
using DecLin0 = dae::Linear<4, 128>;
using DecLin2 = dae::Linear<128, 288>;
using ConvT0 = dae::ConvTranspose2d<Shape<32, 3, 3>, 16, 3, 2, 0, 0>;
using ConvT3 = dae::ConvTranspose2d<Shape<16, 7, 7>, 8, 3, 2, 1, 1>;
using ConvT6 = dae::ConvTranspose2d<Shape<8, 14, 14>, 1, 3, 2, 1, 1>;

}  // namespace

#define DAE_LAYER_BENCH(Layer, WithDx)                                                                      \
  BENCHMARK_TEMPLATE(BM_Forward, Layer)->Name("forward/" #Layer)->Unit(benchmark::kMicrosecond)->UseRealTime(); \
  BENCHMARK_TEMPLATE(BM_Backward, Layer, WithDx)                                                           \
      ->Name("backward/" #Layer)                                                                           \
      ->Unit(benchmark::kMicrosecond)                                                                      \
      ->UseRealTime()

DAE_LAYER_BENCH(Conv0, false);  // the model never needs dL/d(input image)
DAE_LAYER_BENCH(Conv2, true);
DAE_LAYER_BENCH(Conv5, true);
DAE_LAYER_BENCH(EncLin0, true);
DAE_LAYER_BENCH(EncLin2, true);
DAE_LAYER_BENCH(DecLin0, true);   // dL/dcode feeds the encoder
DAE_LAYER_BENCH(DecLin2, true);
DAE_LAYER_BENCH(ConvT0, true);
DAE_LAYER_BENCH(ConvT3, true);
DAE_LAYER_BENCH(ConvT6, true);

BENCHMARK_TEMPLATE(BM_BatchNormForward, Shape<16, 7, 7>)->Name("forward/BatchNorm16x7x7")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_BatchNormBackward, Shape<16, 7, 7>)->Name("backward/BatchNorm16x7x7")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_BatchNormForward, Shape<8, 14, 14>)->Name("forward/BatchNorm8x14x14")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_BatchNormBackward, Shape<8, 14, 14>)->Name("backward/BatchNorm8x14x14")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ActivationForward, dae::ReLU<Shape<8, 14, 14>>)->Name("forward/ReLU8x14x14")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ActivationBackward, dae::ReLU<Shape<8, 14, 14>>)->Name("backward/ReLU8x14x14")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ActivationForward, dae::Sigmoid<Shape<1, 28, 28>>)->Name("forward/Sigmoid1x28x28")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_ActivationBackward, dae::Sigmoid<Shape<1, 28, 28>>)->Name("backward/Sigmoid1x28x28")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_MseLoss)->Name("forward_backward/MseLoss1x28x28")->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
