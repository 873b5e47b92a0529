// ConvTranspose2d: the adjoint of a strided convolution (dilation 1, groups 1) plus bias, as
// torch.nn.ConvTranspose2d, with padding and output_padding.
#pragma once

#include <string>

#include "dae/backend/cpu/conv.hpp"
#include "dae/init.hpp"
#include "dae/parameter.hpp"
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
/// @tparam Backend        dae::cpu (or cpu_t<double> for gradient checks)
template <class InShape, int OutChannels, int KernelSize, int Stride, int Padding, int OutputPadding,
          class Backend = cpu>
class ConvTranspose2d {
  static_assert(is_cpu_backend_v<Backend>, "dae::ConvTranspose2d: this header implements the CPU backend only");
  static_assert(OutputPadding >= 0 && OutputPadding < Stride,
                "dae::ConvTranspose2d: output_padding must be smaller than the stride (as in PyTorch)");

 public:
  using scalar = typename Backend::scalar;
  using input_shape = InShape;
  using output_shape =
      Shape<OutChannels, conv_transpose_output_extent(InShape::height, KernelSize, Stride, Padding, OutputPadding),
            conv_transpose_output_extent(InShape::width, KernelSize, Stride, Padding, OutputPadding)>;
  /// The forward convolution this layer is the adjoint of, seen over the output image.
  using Geometry = cpu_ops::Patches<OutChannels, output_shape::height, output_shape::width, KernelSize, Stride, Padding>;
  static_assert(Geometry::out_height == InShape::height && Geometry::out_width == InShape::width,
                "dae::ConvTranspose2d: geometry does not invert (check padding/output_padding)");
  /// PyTorch takes fan_in from weight.size(1) * k * k, i.e. the *output* channels here.
  static constexpr int fan_in = OutChannels * KernelSize * KernelSize;

  Parameter<scalar> weight{{InShape::channels, OutChannels, KernelSize, KernelSize}};
  Parameter<scalar> bias{{OutChannels}};

  /// PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight, then bias.
  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
  }

  /// y = conv_transpose(x) + bias. @post y.batch() == x.batch()
  void forward(const Tensor<input_shape, Backend>& x, Tensor<output_shape, Backend>& y) const {
    y.resize(x.batch());
    cpu_ops::conv_transpose2d_forward<Geometry, InShape::channels>(x.data(), x.batch(), weight.value.data(),
                                                                   bias.value.data(), y.data());
  }

  /// Adds dL/dweight and dL/dbias into the gradients; writes dL/dx when `dx` is not null.
  void backward(const Tensor<input_shape, Backend>& x, const Tensor<output_shape, Backend>& dy,
                Tensor<input_shape, Backend>* dx) {
    if (dx != nullptr) dx->resize(x.batch());
    cpu_ops::conv_transpose2d_backward<Geometry, InShape::channels>(
        x.data(), dy.data(), x.batch(), weight.value.data(), dx != nullptr ? dx->data() : nullptr,
        weight.grad.data(), bias.grad.data());
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    visitor.parameter(join_name(prefix, "weight"), weight);
    visitor.parameter(join_name(prefix, "bias"), bias);
  }
};

}  // namespace dae
