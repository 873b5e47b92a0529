// Finite-difference gradient checks of every layer, at the model's own shapes and at small odd
// ones, in double precision: ConvTranspose2d (with output_padding) and BatchNorm2d in training
// mode first, since they are the easiest to get subtly wrong.
#include <catch2/catch.hpp>

#include "dae/layers/activations.hpp"
#include "dae/layers/batch_norm2d.hpp"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/conv_transpose2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/layers/reshape.hpp"
#include "dae/loss.hpp"
#include "support/gradient_check.hpp"

using namespace dae;
using dae::test::Double;

namespace {

template <class Layer>
void check_parametric_layer(const std::string& what, Eigen::Index batch, std::uint64_t seed) {
  using In = typename Layer::input_shape;
  using Out = typename Layer::output_shape;
  Rng rng(seed);
  Layer layer;
  test::randomize(layer.weight, rng);
  test::randomize(layer.bias, rng);
  test::check_gradients<In, Out>(
      what, test::random_tensor<In>(batch, rng),
      [&](const Tensor<In, Double>& x, Tensor<Out, Double>& y) { layer.forward(x, y); },
      [&](const Tensor<In, Double>& x, const Tensor<Out, Double>&, const Tensor<Out, Double>& dy,
          Tensor<In, Double>* dx) { layer.backward(x, dy, dx); },
      {{"weight", &layer.weight}, {"bias", &layer.bias}}, rng);
}

template <class S>
void check_batchnorm(const std::string& what, bool training, Eigen::Index batch) {
  Rng rng(7);
  BatchNorm2d<S, Double> layer;
  test::randomize(layer.weight, rng);
  test::randomize(layer.bias, rng);
  for (int c = 0; c < S::channels; ++c) {
    layer.running_mean.value[c] = 0.3 * rng.normal();
    layer.running_var.value[c] = 0.5 + rng.uniform_double();
  }
  layer.set_training(training);
  test::check_gradients<S, S>(
      what, test::random_tensor<S>(batch, rng, 2.0),
      [&](const Tensor<S, Double>& x, Tensor<S, Double>& y) { layer.forward(x, y); },
      [&](const Tensor<S, Double>& x, const Tensor<S, Double>&, const Tensor<S, Double>& dy,
          Tensor<S, Double>* dx) { layer.backward(x, dy, dx); },
      {{"weight", &layer.weight}, {"bias", &layer.bias}}, rng);
}

}  // namespace

TEST_CASE("ConvTranspose2d gradients", "[gradient]") {
  check_parametric_layer<ConvTranspose2d<Shape<32, 3, 3>, 16, 3, 2, 0, 0, Double>>(
      "convT 32x3x3->16 s2 p0 op0", 2, 1);
  check_parametric_layer<ConvTranspose2d<Shape<16, 7, 7>, 8, 3, 2, 1, 1, Double>>(
      "convT 16x7x7->8 s2 p1 op1", 2, 2);
  check_parametric_layer<ConvTranspose2d<Shape<8, 14, 14>, 1, 3, 2, 1, 1, Double>>(
      "convT 8x14x14->1 s2 p1 op1", 2, 3);
  check_parametric_layer<ConvTranspose2d<Shape<3, 5, 4>, 2, 4, 3, 2, 2, Double>>(
      "convT 3x5x4->2 k4 s3 p2 op2", 3, 4);
  check_parametric_layer<ConvTranspose2d<Shape<2, 3, 3>, 3, 3, 1, 0, 0, Double>>(
      "convT 2x3x3->3 k3 s1", 1, 5);
}

TEST_CASE("BatchNorm2d gradients, training and evaluation mode", "[gradient]") {
  check_batchnorm<Shape<16, 7, 7>>("batchnorm 16x7x7 training", true, 3);
  check_batchnorm<Shape<3, 2, 5>>("batchnorm 3x2x5 training, batch 1", true, 1);
  check_batchnorm<Shape<8, 14, 14>>("batchnorm 8x14x14 evaluation", false, 2);
}

TEST_CASE("Conv2d gradients", "[gradient]") {
  check_parametric_layer<Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1, Double>>("conv 1x28x28->8 s2 p1", 2,
                                                                       11);
  check_parametric_layer<Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1, Double>>("conv 8x14x14->16 s2 p1", 2,
                                                                        12);
  check_parametric_layer<Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0, Double>>("conv 16x7x7->32 s2 p0", 2,
                                                                       13);
  check_parametric_layer<Conv2d<Shape<3, 6, 5>, 4, 2, 1, 1, Double>>("conv 3x6x5->4 k2 s1 p1", 3,
                                                                     14);
}

TEST_CASE("Linear gradients", "[gradient]") {
  check_parametric_layer<Linear<288, 128, Double>>("linear 288->128", 3, 21);
  check_parametric_layer<Linear<128, 4, Double>>("linear 128->4", 1, 22);
  check_parametric_layer<Linear<3, 5, Double>>("linear 3->5", 4, 23);
}

TEST_CASE("Activation and reshape gradients", "[gradient]") {
  Rng rng(31);
  using S = Shape<3, 4, 5>;
  test::check_gradients<S, S>(
      "relu", test::random_tensor<S>(2, rng),
      [](const Tensor<S, Double>& x, Tensor<S, Double>& y) { ReLU<S, Double>::forward(x, y); },
      [](const Tensor<S, Double>&, const Tensor<S, Double>& y, const Tensor<S, Double>& dy,
         Tensor<S, Double>* dx) { ReLU<S, Double>::backward(y, dy, *dx); },
      {}, rng);
  test::check_gradients<S, S>(
      "sigmoid", test::random_tensor<S>(2, rng, 3.0),
      [](const Tensor<S, Double>& x, Tensor<S, Double>& y) { Sigmoid<S, Double>::forward(x, y); },
      [](const Tensor<S, Double>&, const Tensor<S, Double>& y, const Tensor<S, Double>& dy,
         Tensor<S, Double>* dx) { Sigmoid<S, Double>::backward(y, dy, *dx); },
      {}, rng);
  using Flat = Shape<60>;
  test::check_gradients<S, Flat>(
      "flatten", test::random_tensor<S>(2, rng),
      [](const Tensor<S, Double>& x, Tensor<Flat, Double>& y) {
        Flatten<S, Double>::forward(x, y);
      },
      [](const Tensor<S, Double>&, const Tensor<Flat, Double>&, const Tensor<Flat, Double>& dy,
         Tensor<S, Double>* dx) { Flatten<S, Double>::backward(dy, *dx); },
      {}, rng);
}

TEST_CASE("Sigmoid is finite and exact at extreme inputs", "[activation]") {
  using S = Shape<4>;
  Tensor<S> x(1), y;
  x.matrix() << -1000.f, -88.f, 88.f, 1000.f;
  Sigmoid<S>::forward(x, y);
  CHECK(y.matrix()(0, 0) == 0.0f);
  CHECK(y.matrix()(1, 0) > 0.0f);
  CHECK(y.matrix()(2, 0) == 1.0f);
  CHECK(y.matrix()(3, 0) == 1.0f);
  CHECK(y.matrix().allFinite());
}

TEST_CASE("Softmax cross-entropy gradient by finite differences, and its bad inputs",
          "[gradient][cross_entropy]") {
  using Logits = Shape<7>;
  Rng rng(41);
  auto logits = test::random_tensor<Logits>(5, rng, 3.0);
  std::vector<std::int32_t> host_labels;
  for (int n = 0; n < 5; ++n)
    host_labels.push_back(static_cast<std::int32_t>(rng.uniform_double() * 7));
  const Labels<7, Double> labels(host_labels);
  Tensor<Logits, Double> dlogits(5);
  dlogits.poison();
  cross_entropy_loss(logits, labels, dlogits);
  const double h = 1e-6;
  for (Eigen::Index i = 0; i < logits.matrix().size(); ++i) {
    const double saved = logits.data()[i];
    logits.data()[i] = saved + h;
    const double up = cross_entropy_loss(logits, labels);
    logits.data()[i] = saved - h;
    const double down = cross_entropy_loss(logits, labels);
    logits.data()[i] = saved;
    INFO("logit " << i);
    CHECK(dlogits.data()[i] == Approx((up - down) / (2 * h)).epsilon(1e-6).margin(1e-9));
  }

  std::vector<std::int32_t> bad = host_labels;
  bad[3] = 7;
  CHECK_THROWS_WITH((Labels<7, Double>(bad)), "labels: sample 3 has label 7, outside [0, 7)");
  bad[3] = -1;
  CHECK_THROWS_WITH((Labels<7, Double>(bad)), "labels: sample 3 has label -1, outside [0, 7)");
  const Labels<7, Double> too_few(std::vector<std::int32_t>{1, 2});
  CHECK_THROWS_WITH(cross_entropy_loss(logits, too_few),
                    "cross_entropy_loss: 5 samples of logits but 2 labels");
}
