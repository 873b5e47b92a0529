// Every CUDA kernel against the CPU backend, on a GPU: random inputs (never zeros), outputs
// poisoned with NaN before each launch, batch sizes 1, 7, 256 and 1000; element-wise results
// within 1e-5 relative, reductions (parameter gradients, statistics) within 1e-4, both with a
// mean-scaled absolute floor (support/require_close.hpp). Parameter gradients are accumulated over
// two backward passes on both sides, which also checks that backward adds (+=) into them.
// Built by nvcc (exits 77, skipped, without a usable device: cuda_main.cpp), or by the host
// compiler on the CUDA emulation (DAE_CUDA_EMULATION), which runs it in CI.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "dae/backend/cuda/data.cuh"
#include "dae/data/noise.hpp"
#include "dae/layers/activations.hpp"
#include "dae/layers/batch_norm2d.hpp"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/conv_transpose2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/optim/adam.hpp"
#include "kernels/mse.cuh"
#include "dae/loss.hpp"
#include "support/require_close.hpp"

using namespace dae;
using dae::test::mean_scaled_atol;
using dae::test::require_close;

namespace {

constexpr double kElementwise = 1e-5;
constexpr double kReduction = 1e-4;
// DAE_CUDA_TEST_QUICK (set by bench/gpu_check.sh for the compute-sanitizer pass, which is slow)
// keeps the small batches only.
const std::vector<Eigen::Index> kBatches =
    std::getenv("DAE_CUDA_TEST_QUICK") != nullptr ? std::vector<Eigen::Index>{1, 7} : std::vector<Eigen::Index>{1, 7, 256, 1000};

template <class S>
Tensor<S> random_tensor(Eigen::Index batch, std::uint64_t seed, float low = -1.0f, float high = 1.0f) {
  Tensor<S> t(batch);
  Rng rng(seed, 99);
  for (Eigen::Index i = 0; i < t.matrix().size(); ++i) t.data()[i] = rng.uniform(low, high);
  return t;
}

template <class T>
std::vector<float> values(const T& t) {
  return std::vector<float>(t.data(), t.data() + t.matrix().size());
}
std::vector<float> values(const Eigen::VectorXf& v) { return std::vector<float>(v.data(), v.data() + v.size()); }

void close(const std::vector<float>& actual, const std::vector<float>& expected, double rtol, const std::string& what) {
  require_close(actual, expected, rtol, mean_scaled_atol(expected, rtol), what);
}

/// A device tensor filled with NaN, batch `batch`.
template <class S>
Tensor<S, cuda> poisoned(Eigen::Index batch) {
  Tensor<S, cuda> t(batch);
  t.poison();
  return t;
}

/// Forward (plain and with a fused ReLU), backward twice (dx plain, then with the input taken
/// as a ReLU output), for the layer on the CPU and on CUDA, built from the same seed.
template <class CpuLayer, class GpuLayer>
void check_parametric_layer(Eigen::Index batch, const std::string& name) {
  using In = typename CpuLayer::input_shape;
  using Out = typename CpuLayer::output_shape;
  INFO(name << " batch " << batch);
  CpuLayer cpu;
  GpuLayer gpu;
  Rng r1(17, 3), r2(17, 3);
  cpu.reset_parameters(r1);
  gpu.reset_parameters(r2);
  const auto x = random_tensor<In>(batch, 1);
  const auto dy = random_tensor<Out>(batch, 2);
  const Tensor<In, cuda> x_d(x);
  const Tensor<Out, cuda> dy_d(dy);

  Tensor<Out> y;
  cpu.forward(x, y);
  auto y_d = poisoned<Out>(batch);
  gpu.forward(x_d, y_d);
  close(values(y_d.to_host()), values(y), kElementwise, name + " forward");

  Tensor<Out> y_relu = y;
  ReLU<Out>::forward(y_relu, y_relu);
  auto y_relu_d = poisoned<Out>(batch);
  gpu.forward(x_d, y_relu_d, Activation::relu);
  close(values(y_relu_d.to_host()), values(y_relu), kElementwise, name + " forward + ReLU");

  Tensor<In> dx;
  auto dx_d = poisoned<In>(batch);
  for (int pass = 0; pass < 2; ++pass) {
    cpu.backward(x, dy, &dx);
    gpu.backward(x_d, dy_d, &dx_d);
  }
  close(values(dx_d.to_host()), values(dx), kElementwise, name + " backward data");
  gpu.weight.to_host();
  gpu.bias.to_host();
  close(values(gpu.weight.grad), values(cpu.weight.grad), kReduction, name + " weight gradient (2 passes)");
  close(values(gpu.bias.grad), values(cpu.bias.grad), kReduction, name + " bias gradient (2 passes)");

  // The ReLU's derivative fused into backward-data: dx * (x > 0), x being the ReLU's output. The
  // reference is the plain CPU backward followed by the ReLU layer's backward.
  Tensor<In> x_relu = x, dx_plain, dx_masked;
  ReLU<In>::forward(x_relu, x_relu);
  cpu.backward(x_relu, dy, &dx_plain);
  ReLU<In>::backward(x_relu, dx_plain, dx_masked);
  const Tensor<In, cuda> x_relu_d(x_relu);
  auto dx_masked_d = poisoned<In>(batch);
  gpu.backward(x_relu_d, dy_d, &dx_masked_d, Activation::relu);
  close(values(dx_masked_d.to_host()), values(dx_masked), kElementwise, name + " backward data, ReLU input");
  Tensor<In> dx_masked_cpu;
  cpu.backward(x_relu, dy, &dx_masked_cpu, Activation::relu);
  CHECK(values(dx_masked_cpu) == values(dx_masked));
}

template <class S>
void check_batch_norm(Eigen::Index batch, bool fuse_relu) {
  INFO("BatchNorm2d " << S::channels << " channels, batch " << batch << (fuse_relu ? " + ReLU" : ""));
  BatchNorm2d<S> cpu;
  BatchNorm2d<S, cuda> gpu;
  Rng rng(5, 5);
  for (int c = 0; c < S::channels; ++c) {
    cpu.weight.value[c] = rng.uniform(0.5f, 1.5f);
    cpu.bias.value[c] = rng.uniform(-0.5f, 0.5f);
    cpu.running_mean.value[c] = rng.uniform(-0.1f, 0.1f);
    cpu.running_var.value[c] = rng.uniform(0.5f, 2.0f);
  }
  gpu.weight.value = cpu.weight.value;
  gpu.bias.value = cpu.bias.value;
  gpu.running_mean.value = cpu.running_mean.value;
  gpu.running_var.value = cpu.running_var.value;
  upload_values(gpu.weight);
  upload_values(gpu.bias);
  upload_values(gpu.running_mean);
  upload_values(gpu.running_var);
  const auto x = random_tensor<S>(batch, 3, -2.0f, 3.0f);
  const auto dy = random_tensor<S>(batch, 4);
  const Tensor<S, cuda> x_d(x), dy_d(dy);
  for (const bool training : {true, false}) {
    INFO((training ? "training" : "evaluation"));
    cpu.set_training(training);
    gpu.set_training(training);
    Tensor<S> y, dx;
    cpu.forward(x, y);
    if (fuse_relu) ReLU<S>::forward(y, y);
    auto y_d = poisoned<S>(batch);
    gpu.forward(x_d, y_d, fuse_relu ? Activation::relu : Activation::none);
    close(values(y_d.to_host()), values(y), kElementwise, "forward");
    cpu.backward(x, dy, &dx);
    auto dx_d = poisoned<S>(batch);
    gpu.backward(x_d, dy_d, &dx_d);
    close(values(dx_d.to_host()), values(dx), kElementwise, "backward");
    gpu.weight.to_host();
    gpu.bias.to_host();
    gpu.running_mean.to_host();
    gpu.running_var.to_host();
    close(values(gpu.running_mean.value), values(cpu.running_mean.value), kReduction, "running mean");
    close(values(gpu.running_var.value), values(cpu.running_var.value), kReduction, "running variance");
    close(values(gpu.weight.grad), values(cpu.weight.grad), kReduction, "weight gradient");
    close(values(gpu.bias.grad), values(cpu.bias.grad), kReduction, "bias gradient");
    CHECK(gpu.num_batches_tracked == cpu.num_batches_tracked);
  }
}

}  // namespace

TEST_CASE("Conv2d kernels match the CPU backend", "[cuda][conv2d]") {
  for (const auto batch : kBatches) {
    check_parametric_layer<Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1>, Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1, cuda>>(batch, "encoder_cnn.0");
    check_parametric_layer<Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1>, Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1, cuda>>(batch, "encoder_cnn.2");
    check_parametric_layer<Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0>, Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0, cuda>>(batch, "encoder_cnn.5");
  }
}

TEST_CASE("ConvTranspose2d kernels match the CPU backend", "[cuda][conv_transpose2d]") {
  for (const auto batch : kBatches) {
    check_parametric_layer<ConvTranspose2d<Shape<32, 3, 3>, 16, 3, 2, 0, 0>,
                           ConvTranspose2d<Shape<32, 3, 3>, 16, 3, 2, 0, 0, cuda>>(batch, "decoder_conv.0");
    check_parametric_layer<ConvTranspose2d<Shape<16, 7, 7>, 8, 3, 2, 1, 1>,
                           ConvTranspose2d<Shape<16, 7, 7>, 8, 3, 2, 1, 1, cuda>>(batch, "decoder_conv.3");
    check_parametric_layer<ConvTranspose2d<Shape<8, 14, 14>, 1, 3, 2, 1, 1>,
                           ConvTranspose2d<Shape<8, 14, 14>, 1, 3, 2, 1, 1, cuda>>(batch, "decoder_conv.6");
  }
}

TEST_CASE("Linear kernels (tiled GEMM) match the CPU backend", "[cuda][linear]") {
  for (const auto batch : kBatches) {
    check_parametric_layer<Linear<288, 128>, Linear<288, 128, cuda>>(batch, "encoder_lin.0");
    check_parametric_layer<Linear<128, 4>, Linear<128, 4, cuda>>(batch, "encoder_lin.2");
    check_parametric_layer<Linear<4, 128>, Linear<4, 128, cuda>>(batch, "decoder_lin.0");
    check_parametric_layer<Linear<128, 288>, Linear<128, 288, cuda>>(batch, "decoder_lin.2");
  }
}

TEST_CASE("BatchNorm2d kernels match the CPU backend", "[cuda][batch_norm2d]") {
  for (const auto batch : kBatches) {
    check_batch_norm<Shape<16, 7, 7>>(batch, false);
    check_batch_norm<Shape<16, 7, 7>>(batch, true);
    check_batch_norm<Shape<8, 14, 14>>(batch, true);
  }
}

TEST_CASE("BatchNorm2d on the GPU refuses a batch it cannot normalise, as on the CPU", "[cuda][batch_norm2d]") {
  BatchNorm2d<Shape<4, 1, 1>, cuda> gpu;
  const Tensor<Shape<4, 1, 1>, cuda> x(random_tensor<Shape<4, 1, 1>>(1, 1));
  Tensor<Shape<4, 1, 1>, cuda> y;
  CHECK_THROWS_AS(gpu.forward(x, y), dae::Error);
}

TEST_CASE("ReLU and Sigmoid kernels match the CPU backend", "[cuda][activations]") {
  using S = Shape<8, 14, 14>;
  for (const auto batch : kBatches) {
    const auto x = random_tensor<S>(batch, 7, -6.0f, 6.0f), dy = random_tensor<S>(batch, 8);
    const Tensor<S, cuda> x_d(x), dy_d(dy);
    Tensor<S> y, dx;
    auto y_d = poisoned<S>(batch), dx_d = poisoned<S>(batch);
    ReLU<S>::forward(x, y);
    ReLU<S, cuda>::forward(x_d, y_d);
    close(values(y_d.to_host()), values(y), kElementwise, "relu forward");
    ReLU<S>::backward(y, dy, dx);
    ReLU<S, cuda>::backward(y_d, dy_d, dx_d);
    close(values(dx_d.to_host()), values(dx), kElementwise, "relu backward");
    Sigmoid<S>::forward(x, y);
    Sigmoid<S, cuda>::forward(x_d, y_d);
    close(values(y_d.to_host()), values(y), kElementwise, "sigmoid forward");
    Sigmoid<S>::backward(y, dy, dx);
    Sigmoid<S, cuda>::backward(y_d, dy_d, dx_d);
    close(values(dx_d.to_host()), values(dx), kElementwise, "sigmoid backward");
  }
}

TEST_CASE("MSE loss and gradient kernels match dae::mse_loss", "[cuda][mse]") {
  using S = Shape<1, 28, 28>;
  const cudaStream_t stream = cuda_backend::current_stream();
  cuda_backend::DeviceBuffer<double> loss(2), workspace(kernels::kLossBlocks);
  for (const auto batch : kBatches) {
    const auto y = random_tensor<S>(batch, 9, 0.01f, 0.99f), target = random_tensor<S>(batch, 10, 0.0f, 1.0f);
    const Tensor<S, cuda> y_d(y), target_d(target);
    Tensor<S> dy, dlogits;
    const double expected = mse_loss(y, target, dy);
    Sigmoid<S>::backward(y, dy, dlogits);
    const auto count = static_cast<long long>(y_d.size());
    DAE_CUDA_CHECK(cudaMemsetAsync(loss.data(), 0, 2 * sizeof(double), stream));
    kernels::mse_loss_forward(y_d.data(), target_d.data(), count, loss.data(), loss.data() + 1, workspace.data(), stream);
    auto dy_d = poisoned<S>(batch);
    kernels::mse_loss_backward<false>(y_d.data(), target_d.data(), count, dy_d.data(), loss.data(), loss.data() + 1,
                                      workspace.data(), stream);
    double host[2];
    cuda_backend::copy_to_host(host, loss.data(), 2);
    // The kernels square and sum in double; dae::mse_loss sums each sample in float (Eigen's
    // squaredNorm), so it agrees to float precision only. The first emulated run found this test
    // expecting 1e-12 from the CPU value: the exact double sum is the reference here.
    double exact = 0.0;
    for (Eigen::Index i = 0; i < y.matrix().size(); ++i) {
      const double d = static_cast<double>(y.data()[i]) - static_cast<double>(target.data()[i]);
      exact += d * d;
    }
    exact /= static_cast<double>(y.matrix().size());
    CHECK(expected == Approx(exact).epsilon(1e-6));
    CHECK(host[0] == Approx(exact).epsilon(1e-12));
    CHECK(host[1] == Approx(2 * exact).epsilon(1e-12));  // the accumulator saw both
    close(values(dy_d.to_host()), values(dy), kElementwise, "dL/dy");
    kernels::mse_loss_backward<true>(y_d.data(), target_d.data(), count, dy_d.data(), loss.data(), nullptr,
                                     workspace.data(), stream);
    close(values(dy_d.to_host()), values(dlogits), kElementwise, "dL/dlogits (sigmoid fused)");
  }
}

TEST_CASE("Softmax cross-entropy, its gradient and the correct count on CUDA match the CPU backend",
          "[cuda][cross_entropy]") {
  using Logits = Shape<10>;
  for (const auto batch : kBatches) {
    const auto logits = random_tensor<Logits>(batch, 21, -6.0f, 6.0f);
    std::vector<std::int32_t> host_labels(static_cast<std::size_t>(batch));
    Rng rng(22);
    for (auto& label : host_labels) label = static_cast<std::int32_t>(rng.uniform_double() * 10);
    const Labels<10> labels(host_labels);
    const Labels<10, cuda> labels_d(host_labels);
    const Tensor<Logits, cuda> logits_d(logits);
    Tensor<Logits> dlogits;
    const double expected = cross_entropy_loss(logits, labels, dlogits);
    auto dlogits_d = poisoned<Logits>(batch);
    // Both sides work each sample in double; only exp and log may differ in their last bit.
    CHECK(cross_entropy_loss(logits_d, labels_d, dlogits_d) == Approx(expected).epsilon(1e-13));
    CHECK(cross_entropy_loss(logits_d, labels_d) == Approx(expected).epsilon(1e-13));
    close(values(dlogits_d.to_host()), values(dlogits), kElementwise, "dL/dlogits");
    CHECK(count_correct(logits_d, labels_d) == count_correct(logits, labels));

    // The accumulating form adds without waiting; take_loss_sum reads and resets the sum.
    cuda_backend::DeviceBuffer<double> state;
    for (int repeat = 0; repeat < 3; ++repeat)
      cross_entropy_loss_accumulate<10>(cuda{}, logits_d.data(), labels_d.data(), batch, nullptr, state);
    CHECK(take_loss_sum(cuda{}, state) == Approx(3 * expected).epsilon(1e-13));
    CHECK(take_loss_sum(cuda{}, state) == 0.0);
  }
}

TEST_CASE("Adam on CUDA matches Adam on the CPU bit for bit over three steps, state names included",
          "[cuda][adam]") {
  std::vector<Parameter<float>> cpu_params;
  std::vector<cuda_backend::MirroredParameter> gpu_params;
  for (const Eigen::Index size : {1, 7, 1000, 4608}) {
    cpu_params.emplace_back(std::vector<std::int64_t>{size});
    gpu_params.emplace_back(std::vector<std::int64_t>{size});
  }
  Rng rng(6, 6);
  Adam<cpu> cpu_adam;
  Adam<cuda> gpu_adam;
  Adam<cpu>::Parameters cpu_list;
  Adam<cuda>::Parameters gpu_list;
  for (std::size_t i = 0; i < cpu_params.size(); ++i) {
    for (Eigen::Index j = 0; j < cpu_params[i].value.size(); ++j) cpu_params[i].value[j] = rng.uniform(-1.0f, 1.0f);
    gpu_params[i].value = cpu_params[i].value;
    upload_values(gpu_params[i]);
    cpu_list.emplace_back(std::string("p").append(std::to_string(i)), &cpu_params[i]);
    gpu_list.emplace_back(std::string("p").append(std::to_string(i)), &gpu_params[i]);
  }
  cpu_adam.attach(cpu_list);
  gpu_adam.attach(gpu_list);
  for (int step = 0; step < 3; ++step) {
    gpu_adam.zero_grad();
    for (std::size_t i = 0; i < cpu_params.size(); ++i) {
      for (Eigen::Index j = 0; j < cpu_params[i].grad.size(); ++j) cpu_params[i].grad[j] = rng.uniform(-0.1f, 0.1f);
      cuda_backend::copy_to_device(grads(gpu_params[i]), cpu_params[i].grad.data(), gpu_params[i].size());
    }
    cpu_adam.step();
    gpu_adam.step();
  }
  for (std::size_t i = 0; i < cpu_params.size(); ++i) {
    gpu_params[i].to_host();
    // Each operation is rounded on its own on both backends (rounding.hpp): the same bits.
    CHECK(values(gpu_params[i].value) == values(cpu_params[i].value));
  }
  struct Names {
    std::vector<std::string> names;
    std::vector<std::vector<float>> buffers;
    std::int64_t step = -1;
    void buffer(const std::string& name, Buffer<float>& b) {
      names.push_back(name);
      buffers.push_back(values(b.value));
    }
    void counter(const std::string&, std::int64_t& value) { step = value; }
  } from_cpu, from_gpu;
  cpu_adam.visit_state(from_cpu);
  gpu_adam.visit_state(from_gpu);
  CHECK(from_gpu.names == from_cpu.names);
  CHECK(from_gpu.step == 3);
  for (std::size_t i = 0; i < from_cpu.buffers.size(); ++i) CHECK(from_gpu.buffers[i] == from_cpu.buffers[i]);
}

TEST_CASE("gathering and noise on the GPU give the CPU's batches", "[cuda][noise]") {
  using S = Shape<1, 28, 28>;
  const std::int64_t count = 1000;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(count) * S::size);
  Rng rng(8, 8);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng.below(256));
  const auto images = data::ImageSet::from_u8(pixels, count, 28, 28, "synthetic");
  const cuda_backend::DeviceImageSet<S> device(images);
  for (const auto batch : kBatches) {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(batch));
    std::vector<std::int32_t> ids32(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) ids32[i] = static_cast<std::int32_t>(ids[i] = static_cast<std::int64_t>(rng.below(count)));
    cuda_backend::DeviceBuffer<std::int32_t> ids_d(ids.size());
    cuda_backend::copy_to_device(ids_d.data(), ids32.data(), ids32.size());
    Tensor<S> clean(batch), noisy(batch);
    images.gather_float(ids, {clean.data(), static_cast<std::size_t>(clean.matrix().size())});
    data::add_noise(clean.data(), noisy.data(), ids, S::size, 0.3f, 123, data::kTrainNoiseStream + 4);
    auto clean_d = poisoned<S>(batch), noisy_d = poisoned<S>(batch);
    device.batch(ids_d.data(), batch, clean_d);
    cuda_backend::add_noise(clean_d, noisy_d, NoiseSpec{0.3f, 123, data::kTrainNoiseStream + 4}, ids_d.data());
    CHECK(values(clean_d.to_host()) == values(clean));  // uint8 / 255.0f exactly
    // The same normal_at and the same fused multiply-add: equal bit for bit.
    CHECK(values(noisy_d.to_host()) == values(noisy));
  }
}
