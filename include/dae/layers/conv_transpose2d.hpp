// ConvTranspose2d: the adjoint of a strided convolution (dilation 1, groups 1) plus bias, as
// torch.nn.ConvTranspose2d, with padding and output_padding, for any backend. The arithmetic is
// the backend's (backend/cpu/conv_transpose2d.hpp, backend/cuda/conv_transpose2d.cuh).
#pragma once

#include <string>

#include "dae/backend/ops.hpp"
#include "dae/conv_geometry.hpp"
#include "dae/init.hpp"
#include "dae/parameter.hpp"
#include "dae/shape.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// A transposed 2-D convolution, as torch.nn.ConvTranspose2d(InShape::channels, OutChannels,
/// KernelSize, Stride, Padding, OutputPadding). Weight [InChannels, OutChannels, k, k] and bias
/// [OutChannels]. Output extent: (in - 1) * stride - 2 * padding + k + output_padding.
/// @tparam InShape        input sample shape (C, H, W)
/// @tparam OutChannels    output channels
/// @tparam KernelSize     square kernel extent k
/// @tparam Stride         stride along both axes
/// @tparam Padding        implicit padding removed from every side of the output
/// @tparam OutputPadding  extra rows/columns added at the bottom/right, < Stride
/// @tparam Backend        dae::cpu, dae::cuda, or cpu_t<double> for gradient checks
template <class InShape, int OutChannels, int KernelSize, int Stride, int Padding, int OutputPadding,
          class Backend = cpu>
class ConvTranspose2d {
  static_assert(OutputPadding >= 0 && OutputPadding < Stride,
                "dae::ConvTranspose2d: output_padding must be smaller than the stride (as in PyTorch)");

 public:
  using backend = Backend;
  using scalar = typename Backend::scalar;
  using input_shape = InShape;
  /// The geometry of the convolution this is the adjoint of (from output_shape back to InShape;
  /// it refuses a padding/output_padding that does not invert): the type the backends use too.
  using geometry = ConvTranspose2dGeometry<InShape, OutChannels, KernelSize, Stride, Padding, OutputPadding>;
  using output_shape = Shape<OutChannels, geometry::H, geometry::W>;
  /// PyTorch takes fan_in from weight.size(1) * k * k, i.e. the *output* channels here.
  static constexpr int fan_in = OutChannels * KernelSize * KernelSize;

  parameter_t<Backend> weight{{InShape::channels, OutChannels, KernelSize, KernelSize}};
  parameter_t<Backend> bias{{OutChannels}};

  /// PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight, then bias.
  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
    upload_values(weight);
    upload_values(bias);
  }

  /// y = act(conv_transpose(x) + bias). @post y.batch() == x.batch()
  void forward(const Tensor<input_shape, Backend>& x, Tensor<output_shape, Backend>& y,
               Activation act = Activation::none) const {
    y.resize(x.batch());
    conv_transpose2d_forward<InShape, OutChannels, KernelSize, Stride, Padding, OutputPadding>(
        Backend{}, x.data(), x.batch(), values(weight), values(bias), y.data(), act);
  }

  /// Adds dL/dweight and dL/dbias into the gradients; writes dL/dx when `dx` is not null, times
  /// the derivative of `input_activation` (the activation whose output x is).
  void backward(const Tensor<input_shape, Backend>& x, const Tensor<output_shape, Backend>& dy,
                Tensor<input_shape, Backend>* dx, Activation input_activation = Activation::none) {
    if (dx != nullptr) dx->resize(x.batch());
    conv_transpose2d_backward<InShape, OutChannels, KernelSize, Stride, Padding, OutputPadding>(
        Backend{}, x.data(), dy.data(), x.batch(), values(weight), input_activation,
        dx != nullptr ? dx->data() : nullptr, grads(weight), grads(bias), workspace_);
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    visit_parameter(visitor, join_name(prefix, "weight"), weight);
    visit_parameter(visitor, join_name(prefix, "bias"), bias);
  }

 private:
  scratch_t<Backend, scalar> workspace_;
};

}  // namespace dae
