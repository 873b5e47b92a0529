// tiny_network: your own network from dae's public layers, trained in a few seconds.
//
// The task: find a blob. Each input is a 1x12x12 image with one bright Gaussian blob somewhere in
// it; the network predicts the blob's centre (x, y), scaled to [-1, 1]. The network is
//
//   Conv2d(1->8, k3, s2, p1) -> ReLU -> Flatten -> Linear(288->32) -> ReLU -> Linear(32->2)
//
// What it shows of the API:
//  - Layers are class templates whose *sample* shapes are compile-time (Conv2d<InShape, OutChannels,
//    Kernel, Stride, Padding>); the batch size is the run-time column count of a Tensor<Shape>.
//    Each layer exposes input_shape and output_shape, so the next layer can be written from them.
//  - A network is a plain struct of named layers. DAE_CHECK_JUNCTION(a, b) at each junction turns
//    a shape mismatch into a compile error that names both members.
//  - forward(x, y) writes y; backward(x, dy, &dx) *adds* into the parameter gradients and writes
//    dx (pass nullptr when dx is not needed). ReLU/Sigmoid's backward take the forward *output*
//    and may run in place.
//  - mse_loss(y, target, dy) returns the loss and writes dL/dy; dae::Adam updates the parameters
//    it was given with attach(), in PyTorch's semantics; reset_parameters(rng) is PyTorch's default
//    initialisation, from dae::Rng (the same numbers on every platform).
//
// The program prints the loss as it falls and exits non-zero unless the held-out loss ends below
// 1/20 of its starting value (about 0.35, what predicting the mean centre scores); it is a CTest
// test too.
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <dae/layers/activations.hpp>
#include <dae/layers/conv2d.hpp>
#include <dae/layers/linear.hpp>
#include <dae/layers/reshape.hpp>
#include <dae/loss.hpp>
#include <dae/optim/adam.hpp>
#include <dae/rng.hpp>

namespace {

using Image = dae::Shape<1, 12, 12>;
using Centre = dae::Shape<2>;

/// The network: a plain struct, one named member per layer, one junction check per connection.
struct BlobFinder {
  dae::Conv2d<Image, 8, 3, 2, 1> conv;                       // (1,12,12) -> (8,6,6)
  dae::ReLU<decltype(conv)::output_shape> relu0;             // (8,6,6)
  dae::Flatten<decltype(conv)::output_shape> flatten;        // (8,6,6) -> (288)
  dae::Linear<decltype(flatten)::output_shape::size, 32> hidden;  // (288) -> (32)
  dae::ReLU<dae::Shape<32>> relu1;                           // (32)
  dae::Linear<32, Centre::size> head;                        // (32) -> (2)
  DAE_CHECK_JUNCTION(conv, relu0);
  DAE_CHECK_JUNCTION(relu0, flatten);
  DAE_CHECK_JUNCTION(flatten, hidden);
  DAE_CHECK_JUNCTION(hidden, relu1);
  DAE_CHECK_JUNCTION(relu1, head);

  // Activations kept from forward for backward, and their gradients.
  dae::Tensor<dae::Shape<8, 6, 6>> a0, da0;  // (8,6,6) after conv (+ReLU in place)
  dae::Tensor<dae::Shape<288>> flat, dflat;  // (288)
  dae::Tensor<dae::Shape<32>> h, dh;         // (32) after hidden (+ReLU in place)

  explicit BlobFinder(dae::Rng& rng) {
    conv.reset_parameters(rng);
    hidden.reset_parameters(rng);
    head.reset_parameters(rng);
  }

  /// The parameters, for the optimiser.
  std::vector<std::pair<std::string, dae::Parameter<float>*>> parameters() {
    return {{"conv.weight", &conv.weight}, {"conv.bias", &conv.bias},     {"hidden.weight", &hidden.weight},
            {"hidden.bias", &hidden.bias}, {"head.weight", &head.weight}, {"head.bias", &head.bias}};
  }

  void forward(const dae::Tensor<Image>& x, dae::Tensor<Centre>& y) {
    conv.forward(x, a0);
    relu0.forward(a0, a0);
    flatten.forward(a0, flat);
    hidden.forward(flat, h);
    relu1.forward(h, h);
    head.forward(h, y);
  }

  /// The explicit call list of forward, reversed. The input gradient is not needed: nullptr.
  void backward(const dae::Tensor<Image>& x, const dae::Tensor<Centre>& dy) {
    head.backward(h, dy, &dh);
    relu1.backward(h, dh, dh);
    hidden.backward(flat, dh, &dflat);
    flatten.backward(dflat, da0);
    relu0.backward(a0, da0, da0);
    conv.backward(x, da0, nullptr);
  }
};

/// A batch of blob images and their centres, scaled to [-1, 1].
void make_batch(dae::Rng& rng, dae::Tensor<Image>& images, dae::Tensor<Centre>& centres) {
  for (Eigen::Index n = 0; n < images.batch(); ++n) {
    const double cx = 2.0 + 7.0 * rng.uniform_double(), cy = 2.0 + 7.0 * rng.uniform_double();
    float* pixels = images.sample(n);  // (12,12), row-major
    for (int y = 0; y < Image::height; ++y) {
      for (int x = 0; x < Image::width; ++x) {
        const double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
        pixels[y * Image::width + x] = static_cast<float>(std::exp(-d2 / 4.5) + 0.05 * rng.normal());
      }
    }
    centres.sample(n)[0] = static_cast<float>((cx - 5.5) / 3.5);
    centres.sample(n)[1] = static_cast<float>((cy - 5.5) / 3.5);
  }
}

}  // namespace

int main() {
  dae::Rng rng(/*seed=*/2024);
  BlobFinder net(rng);
  dae::Adam<float> adam(dae::AdamOptions{.lr = 3e-3});
  adam.attach(net.parameters());

  // A fixed held-out batch to measure progress on images the network never trains on.
  constexpr int kBatch = 32, kSteps = 200;
  dae::Tensor<Image> test_images(256), images(kBatch);
  dae::Tensor<Centre> test_centres(256), centres(kBatch), predicted, dpredicted;
  make_batch(rng, test_images, test_centres);
  auto held_out_loss = [&] {
    net.forward(test_images, predicted);
    return dae::mse_loss(predicted, test_centres);
  };

  const double initial = held_out_loss();
  std::printf("step %4d  held-out loss %.5f\n", 0, initial);
  for (int step = 1; step <= kSteps; ++step) {
    make_batch(rng, images, centres);  // fresh synthetic data every step
    adam.zero_grad();
    net.forward(images, predicted);
    const double loss = dae::mse_loss(predicted, centres, dpredicted);
    net.backward(images, dpredicted);
    adam.step();
    if (step % 25 == 0) std::printf("step %4d  train loss %.5f  held-out loss %.5f\n", step, loss, held_out_loss());
  }

  const double final_loss = held_out_loss();
  if (!(final_loss < 0.05 * initial)) {
    std::printf("FAIL: the held-out loss fell from %.5f only to %.5f\n", initial, final_loss);
    return 1;
  }
  std::printf("ok: the held-out loss fell from %.5f to %.5f\n", initial, final_loss);
  return 0;
}
