// Parity with PyTorch, layer by layer: fixed weights, inputs and upstream gradients from
// tests/reference/make_layer_fixtures.py (PyTorch computing in float64 from float32 values),
// compared within 1e-5 relative plus a 1e-6 absolute floor. Parameter gradients are sums over the
// whole batch: their absolute floor is 1e-5 of their mean magnitude (see mean_scaled_atol).
// Outputs are poisoned before every call.
#include <catch2/catch.hpp>

#include "dae/layers/activations.hpp"
#include "dae/layers/batch_norm2d.hpp"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/conv_transpose2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/loss.hpp"
#include "support/fixtures.hpp"
#include "support/require_close.hpp"

using namespace dae;
using dae::test::Fixture;
using dae::test::mean_scaled_atol;
using dae::test::require_close;

namespace {

constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-6;

template <class Layer>
void check_against_pytorch(const std::string& name) {
  using In = typename Layer::input_shape;
  using Out = typename Layer::output_shape;
  const Fixture f("layers/" + name + ".safetensors");
  Layer layer;
  f.load_into("weight", layer.weight.value);
  f.load_into("bias", layer.bias.value);
  const auto x = f.tensor<In>("x");
  Tensor<Out> y(x.batch());
  y.poison();
  layer.forward(x, y);
  require_close(y.matrix(), f.floats("y"), kRtol, kAtol, name + " forward");

  const auto dy = f.tensor<Out>("dy");
  Tensor<In> dx(x.batch());
  dx.poison();
  layer.weight.grad.setZero();
  layer.bias.grad.setZero();
  layer.backward(x, dy, &dx);
  require_close(dx.matrix(), f.floats("dx"), kRtol, kAtol, name + " dx");
  require_close(layer.weight.grad, f.floats("dweight"), kRtol,
                mean_scaled_atol(f.floats("dweight"), kRtol), name + " dweight");
  require_close(layer.bias.grad, f.floats("dbias"), kRtol,
                mean_scaled_atol(f.floats("dbias"), kRtol), name + " dbias");
}

template <class S>
void check_batchnorm(const std::string& name, bool training) {
  const Fixture f("layers/" + name + ".safetensors");
  BatchNorm2d<S> layer;
  f.load_into("weight", layer.weight.value);
  f.load_into("bias", layer.bias.value);
  f.load_into("running_mean_before", layer.running_mean.value);
  f.load_into("running_var_before", layer.running_var.value);
  layer.set_training(training);
  const auto x = f.tensor<S>("x");
  Tensor<S> y(x.batch());
  y.poison();
  layer.forward(x, y);
  require_close(y.matrix(), f.floats("y"), kRtol, kAtol, name + " forward");
  require_close(layer.running_mean.value, f.floats("running_mean"), kRtol, kAtol,
                name + " running_mean");
  require_close(layer.running_var.value, f.floats("running_var"), kRtol, kAtol,
                name + " running_var");
  CHECK(layer.num_batches_tracked ==
        f.file.tensors.at("num_batches_tracked").values<std::int64_t>().at(0));

  const auto dy = f.tensor<S>("dy");
  Tensor<S> dx(x.batch());
  dx.poison();
  layer.weight.grad.setZero();
  layer.bias.grad.setZero();
  layer.backward(x, dy, &dx);
  require_close(dx.matrix(), f.floats("dx"), kRtol, kAtol, name + " dx");
  require_close(layer.weight.grad, f.floats("dweight"), kRtol,
                mean_scaled_atol(f.floats("dweight"), kRtol), name + " dweight");
  require_close(layer.bias.grad, f.floats("dbias"), kRtol,
                mean_scaled_atol(f.floats("dbias"), kRtol), name + " dbias");
}

template <template <class, class> class Activation>
void check_activation(const std::string& name) {
  using S = Shape<104>;
  const Fixture f("layers/" + name + ".safetensors");
  const auto x = f.tensor<S>("x");
  Tensor<S> y(x.batch()), dx(x.batch());
  y.poison();
  dx.poison();
  Activation<S, cpu>::forward(x, y);
  require_close(y.matrix(), f.floats("y"), kRtol, kAtol, name + " forward");
  Activation<S, cpu>::backward(y, f.tensor<S>("dy"), dx);
  require_close(dx.matrix(), f.floats("dx"), kRtol, kAtol, name + " dx");
}

}  // namespace

TEST_CASE("Conv2d matches PyTorch at the encoder's shapes", "[parity]") {
  check_against_pytorch<Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1>>("conv_1x28x28_8_s2p1");
  check_against_pytorch<Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1>>("conv_8x14x14_16_s2p1");
  check_against_pytorch<Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0>>("conv_16x7x7_32_s2p0");
}

TEST_CASE("ConvTranspose2d matches PyTorch at the decoder's shapes", "[parity]") {
  check_against_pytorch<ConvTranspose2d<Shape<32, 3, 3>, 16, 3, 2, 0, 0>>(
      "convt_32x3x3_16_s2p0op0");
  check_against_pytorch<ConvTranspose2d<Shape<16, 7, 7>, 8, 3, 2, 1, 1>>("convt_16x7x7_8_s2p1op1");
  check_against_pytorch<ConvTranspose2d<Shape<8, 14, 14>, 1, 3, 2, 1, 1>>(
      "convt_8x14x14_1_s2p1op1");
}

TEST_CASE("Linear matches PyTorch", "[parity]") {
  check_against_pytorch<Linear<288, 128>>("linear_288_128");
  check_against_pytorch<Linear<128, 4>>("linear_128_4");
}

TEST_CASE("BatchNorm2d matches PyTorch in training and evaluation mode", "[parity]") {
  check_batchnorm<Shape<16, 7, 7>>("batchnorm_16x7x7_train", true);
  check_batchnorm<Shape<8, 14, 14>>("batchnorm_8x14x14_eval", false);
}

TEST_CASE("ReLU and Sigmoid match PyTorch, including |x| = 100", "[parity]") {
  check_activation<ReLU>("relu");
  check_activation<Sigmoid>("sigmoid");
}

TEST_CASE("MSE loss and gradient match PyTorch", "[parity]") {
  using S = Shape<784>;
  const Fixture f("layers/mse.safetensors");
  const auto y = f.tensor<S>("y");
  const auto target = f.tensor<S>("target");
  Tensor<S> dy(y.batch());
  dy.poison();
  const double loss = mse_loss(y, target, dy);
  CHECK(loss == Approx(f.scalar("loss")).epsilon(1e-6));
  require_close(dy.matrix(), f.floats("dy"), kRtol, 1e-9, "mse dy");
}

TEST_CASE(
    "Softmax cross-entropy, its gradient and the correct count match PyTorch, logits at +-100 "
    "included",
    "[parity][cross_entropy]") {
  using Logits = Shape<10>;
  const Fixture f("layers/cross_entropy.safetensors");
  const auto logits = f.tensor<Logits>("logits");
  const Labels<10> labels(f.file.tensors.at("labels").values<std::int32_t>());
  Tensor<Logits> dlogits(logits.batch());
  dlogits.poison();
  const double loss = cross_entropy_loss(logits, labels, dlogits);
  CHECK(loss == Approx(f.scalar("loss")).epsilon(1e-12));
  CHECK(cross_entropy_loss(logits, labels) == loss);
  require_close(dlogits.matrix(), f.floats("dlogits"), kRtol, 1e-9, "cross-entropy dlogits");
  CHECK(static_cast<double>(count_correct(logits, labels)) == f.scalar("correct"));
}
