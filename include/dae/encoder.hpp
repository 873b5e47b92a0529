// The encoder half of the reference denoising autoencoder: 1x28x28 image -> Latent-D code.
// A plain struct of named layers with an explicit forward/backward call list; member names follow
// the PyTorch reference's Sequential indices (encoder_cnn.{0,2,3,5}, encoder_lin.{0,2}), which
// are also the checkpoint names. Forward keeps every activation backward needs.
#pragma once

#include <string>
#include <type_traits>

#include "dae/layers/activations.hpp"
#include "dae/layers/batch_norm2d.hpp"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/layers/reshape.hpp"

namespace dae {

/// Conv(1->8,s2,p1)+ReLU, Conv(8->16,s2,p1)+BN+ReLU, Conv(16->32,s2,p0)+ReLU, Flatten,
/// Linear(288->128)+ReLU, Linear(128->Latent).
/// @tparam Latent   dimension of the code
/// @tparam Backend  dae::cpu (or cpu_t<double> for gradient checks)
template <int Latent, class Backend = cpu>
struct Encoder {
  using input_shape = Shape<1, 28, 28>;
  using output_shape = Shape<Latent>;

  Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1, Backend> cnn0;
  ReLU<Shape<8, 14, 14>, Backend> cnn1;
  Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1, Backend> cnn2;
  BatchNorm2d<Shape<16, 7, 7>, Backend> cnn3;
  ReLU<Shape<16, 7, 7>, Backend> cnn4;
  Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0, Backend> cnn5;
  ReLU<Shape<32, 3, 3>, Backend> cnn6;
  Flatten<Shape<32, 3, 3>, Backend> flatten;
  Linear<288, 128, Backend> lin0;
  ReLU<Shape<128>, Backend> lin1;
  Linear<128, Latent, Backend> lin2;

  DAE_CHECK_JUNCTION(cnn0, cnn1);
  DAE_CHECK_JUNCTION(cnn1, cnn2);
  DAE_CHECK_JUNCTION(cnn2, cnn3);
  DAE_CHECK_JUNCTION(cnn3, cnn4);
  DAE_CHECK_JUNCTION(cnn4, cnn5);
  DAE_CHECK_JUNCTION(cnn5, cnn6);
  DAE_CHECK_JUNCTION(cnn6, flatten);
  DAE_CHECK_JUNCTION(flatten, lin0);
  DAE_CHECK_JUNCTION(lin0, lin1);
  DAE_CHECK_JUNCTION(lin1, lin2);
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

  // The call lists below are the CPU backend's (its layers fuse BatchNorm + ReLU through
  // forward_relu/backward_relu); Autoencoder<L, cuda> has its own until the layers are one API
  // for both backends, so they are not offered for CUDA rather than failing to compile there.
  /// code = encoder(x); activations are kept for backward.
  void forward(const Tensor<input_shape, Backend>& x, Tensor<output_shape, Backend>& code)
    requires(!std::is_same_v<Backend, cuda>)
  {
    cnn0.forward(x, a0_);
    cnn1.forward(a0_, a0_);
    cnn2.forward(a0_, a2_);
    cnn3.forward_relu(a2_, a3_);  // cnn3 then cnn4, fused
    cnn5.forward(a3_, a5_);
    cnn6.forward(a5_, a5_);
    flatten.forward(a5_, flat_);
    lin0.forward(flat_, h0_);
    lin1.forward(h0_, h0_);
    lin2.forward(h0_, code);
  }

  /// Accumulates parameter gradients from dL/dcode, for the x given to the last forward.
  /// Writes dL/dx when `dx` is not null.
  void backward(const Tensor<input_shape, Backend>& x, const Tensor<output_shape, Backend>& dcode,
                Tensor<input_shape, Backend>* dx = nullptr)
    requires(!std::is_same_v<Backend, cuda>)
  {
    lin2.backward(h0_, dcode, &dh0_);
    lin1.backward(h0_, dh0_, dh0_);
    lin0.backward(flat_, dh0_, &dflat_);
    flatten.backward(dflat_, da5_);
    cnn6.backward(a5_, da5_, da5_);
    cnn5.backward(a3_, da5_, &da3_);
    cnn3.backward_relu(a2_, a3_, da3_, &da2_);  // cnn4 then cnn3, fused
    cnn2.backward(a0_, da2_, &da0_);
    cnn1.backward(a0_, da0_, da0_);
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
  Tensor<Shape<8, 14, 14>, Backend> a0_, da0_;  // after cnn0 (+ReLU in place)
  Tensor<Shape<16, 7, 7>, Backend> a2_, da2_;   // after cnn2, before BatchNorm
  Tensor<Shape<16, 7, 7>, Backend> a3_, da3_;   // after BatchNorm (+ReLU in place)
  Tensor<Shape<32, 3, 3>, Backend> a5_, da5_;   // after cnn5 (+ReLU in place)
  Tensor<Shape<288>, Backend> flat_, dflat_;
  Tensor<Shape<128>, Backend> h0_, dh0_;        // after lin0 (+ReLU in place)
};

}  // namespace dae
