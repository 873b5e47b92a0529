// The encoder half of the reference denoising autoencoder: 1x28x28 image -> Latent-D code, for
// any backend. A plain struct of named layers with one explicit forward/backward call list; member names follow
// the PyTorch reference's Sequential indices (encoder_cnn.{0,2,3,5}, encoder_lin.{0,2}), which
// are also the checkpoint names. Forward keeps every activation backward needs.
#pragma once

#include <string>
#include <type_traits>

#include "dae/layers/batch_norm2d.hpp"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/layers/reshape.hpp"

namespace dae {

/// Conv(1->8,s2,p1)+ReLU, Conv(8->16,s2,p1)+BN+ReLU, Conv(16->32,s2,p0)+ReLU, Flatten,
/// Linear(288->128)+ReLU, Linear(128->Latent).
/// @tparam Latent   dimension of the code
/// @tparam Backend  dae::cpu, dae::cuda, or cpu_t<double> for gradient checks
template <int Latent, class Backend = cpu>
struct Encoder {
  using backend = Backend;
  using input_shape = Shape<1, 28, 28>;
  using output_shape = Shape<Latent>;

  // Each ReLU of the reference (encoder_cnn.1, .4, .6, encoder_lin.1) is fused into the layer
  // before it (forward's act) and its derivative into the backward of the layer after it.
  Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1, Backend> cnn0;
  Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1, Backend> cnn2;
  BatchNorm2d<Shape<16, 7, 7>, Backend> cnn3;
  Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0, Backend> cnn5;
  Flatten<Shape<32, 3, 3>, Backend> flatten;
  Linear<288, 128, Backend> lin0;
  Linear<128, Latent, Backend> lin2;

  static_assert(std::is_same_v<typename decltype(cnn0)::input_shape, input_shape>,
                "dae::Encoder: the image shape is not the input of cnn0");
  DAE_CHECK_JUNCTION(cnn0, cnn2);
  DAE_CHECK_JUNCTION(cnn2, cnn3);
  DAE_CHECK_JUNCTION(cnn3, cnn5);
  DAE_CHECK_JUNCTION(cnn5, flatten);
  DAE_CHECK_JUNCTION(flatten, lin0);
  DAE_CHECK_JUNCTION(lin0, lin2);
  static_assert(std::is_same_v<typename decltype(lin2)::output_shape, output_shape>,
                "dae::Encoder: the output of lin2 is not the code shape");

  void reset_parameters(Rng& rng) {
    cnn0.reset_parameters(rng);
    cnn2.reset_parameters(rng);
    cnn3.reset_parameters(rng);
    cnn5.reset_parameters(rng);
    lin0.reset_parameters(rng);
    lin2.reset_parameters(rng);
  }

  void set_training(bool training) { cnn3.set_training(training); }

  /// code = encoder(x); activations are kept for backward.
  void forward(const Tensor<input_shape, Backend>& x, Tensor<output_shape, Backend>& code) {
    cnn0.forward(x, a0_, Activation::relu);
    cnn2.forward(a0_, a2_);
    cnn3.forward(a2_, a3_, Activation::relu);
    cnn5.forward(a3_, a5_, Activation::relu);
    flatten.forward(a5_, flat_);
    lin0.forward(flat_, h0_, Activation::relu);
    lin2.forward(h0_, code);
  }

  /// Accumulates parameter gradients from dL/dcode, for the x given to the last forward.
  /// Writes dL/dx when `dx` is not null.
  void backward(const Tensor<input_shape, Backend>& x, const Tensor<output_shape, Backend>& dcode,
                Tensor<input_shape, Backend>* dx = nullptr) {
    lin2.backward(h0_, dcode, &dh0_, Activation::relu);
    lin0.backward(flat_, dh0_, &dflat_, Activation::relu);
    flatten.backward(dflat_, da5_);
    cnn5.backward(a3_, da5_, &da3_, Activation::relu);
    cnn3.backward(a2_, da3_, &da2_);
    cnn2.backward(a0_, da2_, &da0_, Activation::relu);
    cnn0.backward(x, da0_, dx);
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    cnn0.visit_state(join_name(prefix, "encoder_cnn.0"), visitor);
    cnn2.visit_state(join_name(prefix, "encoder_cnn.2"), visitor);
    cnn3.visit_state(join_name(prefix, "encoder_cnn.3"), visitor);
    cnn5.visit_state(join_name(prefix, "encoder_cnn.5"), visitor);
    lin0.visit_state(join_name(prefix, "encoder_lin.0"), visitor);
    lin2.visit_state(join_name(prefix, "encoder_lin.2"), visitor);
  }

 private:
  Tensor<Shape<8, 14, 14>, Backend> a0_, da0_;  // after cnn0 + ReLU
  Tensor<Shape<16, 7, 7>, Backend> a2_, da2_;   // after cnn2, before BatchNorm
  Tensor<Shape<16, 7, 7>, Backend> a3_, da3_;   // after BatchNorm + ReLU
  Tensor<Shape<32, 3, 3>, Backend> a5_, da5_;   // after cnn5 + ReLU
  Tensor<Shape<288>, Backend> flat_, dflat_;
  Tensor<Shape<128>, Backend> h0_, dh0_;        // after lin0 + ReLU
};

}  // namespace dae
