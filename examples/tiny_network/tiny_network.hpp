// tiny_network: your own network from dae's public layers, trained in a few seconds, written once
// for every backend (tiny_network.hpp). main.cpp trains it on the CPU; cuda_main.cu trains the
// same source with Backend = dae::cuda (on a GPU, or on the CUDA emulation in CI).
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
//  - forward(x, y, act) writes act(layer(x)) to y; backward(x, dy, &dx, input_activation) *adds*
//    into the parameter gradients and writes dx (nullptr when it is not needed), times the
//    derivative of the activation whose output x is: the ReLUs cost no pass of their own.
//  - The backend is a template parameter of every layer and tensor; dae::parameters(net) collects
//    what the optimiser updates, in the backend's own storage.
//  - mse_loss(y, target, dy) returns the loss and writes dL/dy; dae::Adam updates the parameters
//    it was given with attach(), in PyTorch's semantics; reset_parameters(rng) is PyTorch's default
//    initialisation, from dae::Rng (the same numbers on every platform).
//
// The program prints the loss as it falls and exits non-zero unless the held-out loss ends below
// 1/20 of its starting value (about 0.35, what predicting the mean centre scores); it is a CTest
// test too, on each backend.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include <dae/layers/conv2d.hpp>
#include <dae/layers/linear.hpp>
#include <dae/layers/reshape.hpp>
#include <dae/loss.hpp>
#include <dae/optim/adam.hpp>
#include <dae/rng.hpp>

namespace tiny_network {

using Image = dae::Shape<1, 12, 12>;
using Centre = dae::Shape<2>;

/// The network: a plain struct, one named member per layer, one junction check per connection.
template <class Backend>
struct BlobFinder {
  using backend = Backend;
  template <class S>
  using Tensor = dae::Tensor<S, Backend>;

  dae::Conv2d<Image, 8, 3, 2, 1, Backend> conv;                            // (1,12,12) -> (8,6,6), + ReLU
  dae::Flatten<typename decltype(conv)::output_shape, Backend> flatten;    // (8,6,6) -> (288)
  dae::Linear<decltype(flatten)::output_shape::size, 32, Backend> hidden;  // (288) -> (32), + ReLU
  dae::Linear<32, Centre::size, Backend> head;                             // (32) -> (2)
  DAE_CHECK_JUNCTION(conv, flatten);
  DAE_CHECK_JUNCTION(flatten, hidden);
  DAE_CHECK_JUNCTION(hidden, head);

  // Activations kept from forward for backward, and their gradients.
  Tensor<dae::Shape<8, 6, 6>> a0, da0;  // after conv + ReLU
  Tensor<dae::Shape<288>> flat, dflat;
  Tensor<dae::Shape<32>> h, dh;         // after hidden + ReLU

  explicit BlobFinder(dae::Rng& rng) {
    conv.reset_parameters(rng);
    hidden.reset_parameters(rng);
    head.reset_parameters(rng);
  }

  void forward(const Tensor<Image>& x, Tensor<Centre>& y) {
    conv.forward(x, a0, dae::Activation::relu);
    flatten.forward(a0, flat);
    hidden.forward(flat, h, dae::Activation::relu);
    head.forward(h, y);
  }

  /// The call list of forward, reversed; each ReLU's derivative goes to the backward of the layer
  /// its output feeds. The input gradient is not needed: nullptr.
  void backward(const Tensor<Image>& x, const Tensor<Centre>& dy) {
    head.backward(h, dy, &dh, dae::Activation::relu);
    hidden.backward(flat, dh, &dflat, dae::Activation::relu);
    flatten.backward(dflat, da0);
    conv.backward(x, da0, nullptr);
  }

  /// The state under PyTorch-style names: what dae::parameters() and checkpoints see.
  template <class Visitor>
  void visit_state(Visitor& visitor) {
    conv.visit_state("conv", visitor);
    hidden.visit_state("hidden", visitor);
    head.visit_state("head", visitor);
  }
};

/// A batch of blob images and their centres, scaled to [-1, 1], made on the host.
inline void make_batch(dae::Rng& rng, dae::Tensor<Image>& images, dae::Tensor<Centre>& centres) {
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

/// Host batch -> the backend's memory (the same object on the CPU).
template <class Backend, class S>
dae::Tensor<S, Backend> on_backend(const dae::Tensor<S>& host) {
  if constexpr (dae::is_cpu_backend_v<Backend>)
    return host;
  else
    return dae::Tensor<S, Backend>(host);
}

/// Trains the network for `steps` steps; 0 when the held-out loss fell below 1/20 of its start.
template <class Backend>
int train(const char* backend_name, int steps) {
  dae::Rng rng(/*seed=*/2024);
  BlobFinder<Backend> net(rng);
  dae::Adam<Backend> adam(dae::AdamOptions{.lr = 3e-3});
  adam.attach(dae::parameters(net));

  // A fixed held-out batch to measure progress on images the network never trains on.
  constexpr int kBatch = 32;
  dae::Tensor<Image> host_test_images(256), host_images(kBatch);
  dae::Tensor<Centre> host_test_centres(256), host_centres(kBatch);
  make_batch(rng, host_test_images, host_test_centres);
  const auto test_images = on_backend<Backend>(host_test_images);
  const auto test_centres = on_backend<Backend>(host_test_centres);
  dae::Tensor<Centre, Backend> predicted, dpredicted;
  auto held_out_loss = [&] {
    net.forward(test_images, predicted);
    return dae::mse_loss(predicted, test_centres);
  };

  const double initial = held_out_loss();
  std::printf("[%s] step %4d  held-out loss %.5f\n", backend_name, 0, initial);
  for (int step = 1; step <= steps; ++step) {
    make_batch(rng, host_images, host_centres);  // fresh synthetic data every step
    const auto images = on_backend<Backend>(host_images);
    const auto centres = on_backend<Backend>(host_centres);
    adam.zero_grad();
    net.forward(images, predicted);
    const double loss = dae::mse_loss(predicted, centres, dpredicted);
    net.backward(images, dpredicted);
    adam.step();
    if (step % 25 == 0)
      std::printf("[%s] step %4d  train loss %.5f  held-out loss %.5f\n", backend_name, step, loss, held_out_loss());
  }

  const double final_loss = held_out_loss();
  if (!(final_loss < 0.05 * initial)) {
    std::printf("FAIL: the held-out loss fell from %.5f only to %.5f\n", initial, final_loss);
    return 1;
  }
  std::printf("ok: the held-out loss fell from %.5f to %.5f\n", initial, final_loss);
  return 0;
}

}  // namespace tiny_network
