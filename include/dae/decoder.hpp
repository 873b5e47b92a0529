// The decoder half of the reference denoising autoencoder: Latent-D code -> 1x28x28 image in
// (0, 1). Member names follow the PyTorch reference's Sequential indices (decoder_lin.{0,2},
// decoder_conv.{0,1,3,4,6}), which are also the checkpoint names.
#pragma once

#include <string>
#include <type_traits>

#include "dae/layers/activations.hpp"
#include "dae/layers/batch_norm2d.hpp"
#include "dae/layers/conv_transpose2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/layers/reshape.hpp"

namespace dae {

/// Linear(Latent->128)+ReLU, Linear(128->288)+ReLU, Unflatten(32x3x3),
/// ConvT(32->16,s2,p0,op0)+BN+ReLU, ConvT(16->8,s2,p1,op1)+BN+ReLU, ConvT(8->1,s2,p1,op1)+Sigmoid.
/// @tparam Latent   dimension of the code
/// @tparam Backend  dae::cpu, dae::cuda, or cpu_t<double> for gradient checks
template <int Latent, class Backend = cpu>
struct Decoder {
  using backend = Backend;
  using input_shape = Shape<Latent>;
  using output_shape = Shape<1, 28, 28>;

  // The reference's ReLUs (decoder_lin.1, .3, decoder_conv.2, .5) and its Sigmoid
  // (decoder_conv.7) are fused into the layer before them, as in the Encoder.
  Linear<Latent, 128, Backend> lin0;
  Linear<128, 288, Backend> lin2;
  Unflatten<Shape<32, 3, 3>, Backend> unflatten;
  ConvTranspose2d<Shape<32, 3, 3>, 16, 3, 2, 0, 0, Backend> conv0;
  BatchNorm2d<Shape<16, 7, 7>, Backend> conv1;
  ConvTranspose2d<Shape<16, 7, 7>, 8, 3, 2, 1, 1, Backend> conv3;
  BatchNorm2d<Shape<8, 14, 14>, Backend> conv4;
  ConvTranspose2d<Shape<8, 14, 14>, 1, 3, 2, 1, 1, Backend> conv6;

  static_assert(std::is_same_v<typename decltype(lin0)::input_shape, input_shape>,
                "dae::Decoder: the code shape is not the input of lin0");
  DAE_CHECK_JUNCTION(lin0, lin2);
  DAE_CHECK_JUNCTION(lin2, unflatten);
  DAE_CHECK_JUNCTION(unflatten, conv0);
  DAE_CHECK_JUNCTION(conv0, conv1);
  DAE_CHECK_JUNCTION(conv1, conv3);
  DAE_CHECK_JUNCTION(conv3, conv4);
  DAE_CHECK_JUNCTION(conv4, conv6);
  static_assert(std::is_same_v<typename decltype(conv6)::output_shape, output_shape>,
                "dae::Decoder: the output of conv6 is not the image shape");

  void reset_parameters(Rng& rng) {
    lin0.reset_parameters(rng);
    lin2.reset_parameters(rng);
    conv0.reset_parameters(rng);
    conv1.reset_parameters(rng);
    conv3.reset_parameters(rng);
    conv4.reset_parameters(rng);
    conv6.reset_parameters(rng);
  }

  void set_training(bool training) {
    conv1.set_training(training);
    conv4.set_training(training);
  }

  /// image = decoder(code); activations are kept for backward.
  void forward(const Tensor<input_shape, Backend>& code, Tensor<output_shape, Backend>& image) {
    lin0.forward(code, h0_, Activation::relu);
    lin2.forward(h0_, h2_, Activation::relu);
    unflatten.forward(h2_, u_);
    conv0.forward(u_, c0_);
    conv1.forward(c0_, c1_, Activation::relu);
    conv3.forward(c1_, c3_);
    conv4.forward(c3_, c4_, Activation::relu);
    conv6.forward(c4_, image, Activation::sigmoid);
  }

  /// Accumulates parameter gradients from dL/dimage, for the last forward (whose output was
  /// `image`). Writes dL/dcode when `dcode` is not null.
  void backward(const Tensor<input_shape, Backend>& code, const Tensor<output_shape, Backend>& image,
                const Tensor<output_shape, Backend>& dimage, Tensor<input_shape, Backend>* dcode = nullptr) {
    Sigmoid<output_shape, Backend>::backward(image, dimage, dlogits_);
    conv6.backward(c4_, dlogits_, &dc4_, Activation::relu);
    conv4.backward(c3_, dc4_, &dc3_);
    conv3.backward(c1_, dc3_, &dc1_, Activation::relu);
    conv1.backward(c0_, dc1_, &dc0_);
    conv0.backward(u_, dc0_, &du_, Activation::relu);
    unflatten.backward(du_, dh2_);
    lin2.backward(h0_, dh2_, &dh0_, Activation::relu);
    lin0.backward(code, dh0_, dcode);
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    lin0.visit_state(join_name(prefix, "decoder_lin.0"), visitor);
    lin2.visit_state(join_name(prefix, "decoder_lin.2"), visitor);
    conv0.visit_state(join_name(prefix, "decoder_conv.0"), visitor);
    conv1.visit_state(join_name(prefix, "decoder_conv.1"), visitor);
    conv3.visit_state(join_name(prefix, "decoder_conv.3"), visitor);
    conv4.visit_state(join_name(prefix, "decoder_conv.4"), visitor);
    conv6.visit_state(join_name(prefix, "decoder_conv.6"), visitor);
  }

 private:
  Tensor<Shape<128>, Backend> h0_, dh0_;        // after lin0 + ReLU
  Tensor<Shape<288>, Backend> h2_, dh2_;        // after lin2 + ReLU
  Tensor<Shape<32, 3, 3>, Backend> u_, du_;     // unflattened
  Tensor<Shape<16, 7, 7>, Backend> c0_, dc0_;   // after conv0, before BatchNorm
  Tensor<Shape<16, 7, 7>, Backend> c1_, dc1_;   // after BatchNorm + ReLU
  Tensor<Shape<8, 14, 14>, Backend> c3_, dc3_;  // after conv3, before BatchNorm
  Tensor<Shape<8, 14, 14>, Backend> c4_, dc4_;  // after BatchNorm + ReLU
  Tensor<Shape<1, 28, 28>, Backend> dlogits_;   // before the sigmoid
};

}  // namespace dae
