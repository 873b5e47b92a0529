// Conv2d: a 2-D convolution (dilation 1, groups 1) with bias, as torch.nn.Conv2d.
// Shapes are template parameters; the batch size is the tensor's run-time column count.
#pragma once

#include <string>

#include "dae/backend/cpu/conv.hpp"
#include "dae/init.hpp"
#include "dae/parameter.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// A 2-D convolution, as torch.nn.Conv2d(InShape::channels, OutChannels, KernelSize, Stride,
/// Padding). Weight [OutChannels, InChannels, k, k] and bias [OutChannels], PyTorch layouts.
/// @tparam InShape      input sample shape (C, H, W)
/// @tparam OutChannels  output channels
/// @tparam KernelSize   square kernel extent k
/// @tparam Stride       stride along both axes
/// @tparam Padding      zero padding on every side
/// @tparam Backend      dae::cpu (or cpu_t<double> for gradient checks)
template <class InShape, int OutChannels, int KernelSize, int Stride, int Padding, class Backend = cpu>
class Conv2d {
  static_assert(is_cpu_backend_v<Backend>, "dae::Conv2d: this header implements the CPU backend only");
  static_assert(OutChannels > 0 && KernelSize > 0 && Stride > 0 && Padding >= 0,
                "dae::Conv2d: channels, kernel and stride must be positive, padding non-negative");

 public:
  using scalar = typename Backend::scalar;
  using input_shape = InShape;
  using output_shape = Shape<OutChannels, conv_output_extent(InShape::height, KernelSize, Stride, Padding),
                             conv_output_extent(InShape::width, KernelSize, Stride, Padding)>;
  using Geometry = cpu_ops::Patches<InShape::channels, InShape::height, InShape::width, KernelSize, Stride, Padding>;
  static constexpr int fan_in = InShape::channels * KernelSize * KernelSize;

  Parameter<scalar> weight{{OutChannels, InShape::channels, KernelSize, KernelSize}};
  Parameter<scalar> bias{{OutChannels}};

  /// PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight, then bias.
  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
  }

  /// y = conv(x) + bias. @post y.batch() == x.batch()
  void forward(const Tensor<input_shape, Backend>& x, Tensor<output_shape, Backend>& y) const {
    y.resize(x.batch());
    cpu_ops::conv2d_forward<Geometry, OutChannels>(x.data(), x.batch(), weight.value.data(), bias.value.data(),
                                                   y.data());
  }

  /// Adds dL/dweight and dL/dbias into the gradients; writes dL/dx when `dx` is not null.
  /// @param x   the input given to forward
  /// @param dy  dL/dy, the gradient of the loss with respect to forward's output
  /// @param dx  where dL/dx is written (resized to x.batch()), or nullptr when it is not needed
  void backward(const Tensor<input_shape, Backend>& x, const Tensor<output_shape, Backend>& dy,
                Tensor<input_shape, Backend>* dx) {
    if (dx != nullptr) dx->resize(x.batch());
    cpu_ops::conv2d_backward<Geometry, OutChannels>(x.data(), dy.data(), x.batch(), weight.value.data(),
                                                    dx != nullptr ? dx->data() : nullptr, weight.grad.data(),
                                                    bias.grad.data());
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    visitor.parameter(join_name(prefix, "weight"), weight);
    visitor.parameter(join_name(prefix, "bias"), bias);
  }
};

}  // namespace dae
