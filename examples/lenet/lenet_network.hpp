// The network of examples/lenet, written once for every backend: LeNet-5 in today's idiom, with
// strided convolutions where LeNet had pooling,
//
//   Conv2d(1->16, k5, s2, p2) -> ReLU -> Conv2d(16->32, k5, s2, p2) -> ReLU -> Flatten
//     -> Linear(1568->128) -> ReLU -> Linear(128->10) -> softmax cross-entropy
//
// A header of its own so that the program (lenet.hpp) and the CUDA-against-CPU test of a user's
// network (tests/cuda/lenet_test.cu) use the same definition.
#pragma once

#include <dae/layers/conv2d.hpp>
#include <dae/layers/linear.hpp>
#include <dae/layers/reshape.hpp>
#include <dae/rng.hpp>

namespace lenet {

using Image = dae::Shape<1, 28, 28>;
inline constexpr int kClasses = 10;
using Logits = dae::Shape<kClasses>;

/// The network: one named member per layer, one junction check per connection.
template <class Backend>
struct LeNet {
  using backend = Backend;
  template <class S>
  using Tensor = dae::Tensor<S, Backend>;

  dae::Conv2d<Image, 16, 5, 2, 2, Backend> conv1;                              // (1,28,28) -> (16,14,14), + ReLU
  dae::Conv2d<typename decltype(conv1)::output_shape, 32, 5, 2, 2, Backend> conv2;  // -> (32,7,7), + ReLU
  dae::Flatten<typename decltype(conv2)::output_shape, Backend> flatten;         // -> (1568)
  dae::Linear<decltype(flatten)::output_shape::size, 128, Backend> hidden;       // -> (128), + ReLU
  dae::Linear<128, kClasses, Backend> classifier;                                // -> (10) logits
  DAE_CHECK_JUNCTION(conv1, conv2);
  DAE_CHECK_JUNCTION(conv2, flatten);
  DAE_CHECK_JUNCTION(flatten, hidden);
  DAE_CHECK_JUNCTION(hidden, classifier);

  // Activations kept from forward for backward, and their gradients.
  Tensor<typename decltype(conv1)::output_shape> a1, da1;
  Tensor<typename decltype(conv2)::output_shape> a2, da2;
  Tensor<typename decltype(flatten)::output_shape> flat, dflat;
  Tensor<typename decltype(hidden)::output_shape> h, dh;

  explicit LeNet(dae::Rng& rng) {
    conv1.reset_parameters(rng);
    conv2.reset_parameters(rng);
    hidden.reset_parameters(rng);
    classifier.reset_parameters(rng);
  }

  void forward(const Tensor<Image>& x, Tensor<Logits>& logits) {
    conv1.forward(x, a1, dae::Activation::relu);
    conv2.forward(a1, a2, dae::Activation::relu);
    flatten.forward(a2, flat);
    hidden.forward(flat, h, dae::Activation::relu);
    classifier.forward(h, logits);
  }

  /// forward's call list reversed; each ReLU's derivative goes to the layer its output feeds.
  void backward(const Tensor<Image>& x, const Tensor<Logits>& dlogits) {
    classifier.backward(h, dlogits, &dh, dae::Activation::relu);
    hidden.backward(flat, dh, &dflat, dae::Activation::relu);
    flatten.backward(dflat, da2);
    conv2.backward(a1, da2, &da1, dae::Activation::relu);
    conv1.backward(x, da1, nullptr);
  }

  template <class Visitor>
  void visit_state(Visitor& visitor) {
    conv1.visit_state("conv1", visitor);
    conv2.visit_state("conv2", visitor);
    hidden.visit_state("hidden", visitor);
    classifier.visit_state("classifier", visitor);
  }
};

}  // namespace lenet
