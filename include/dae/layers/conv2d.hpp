// Conv2d: a 2-D convolution (dilation 1, groups 1) with bias, as torch.nn.Conv2d, for any backend.
// Shapes are template parameters; the batch size is the tensor's run-time column count. The
// arithmetic is the backend's (backend/cpu/conv2d.hpp, backend/cuda/conv2d.cuh).
#pragma once

#include <string>

#include "dae/backend/ops.hpp"
#include "dae/conv_geometry.hpp"
#include "dae/init.hpp"
#include "dae/parameter.hpp"
#include "dae/shape.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// A 2-D convolution, as torch.nn.Conv2d(InShape::channels, OutChannels, KernelSize, Stride,
/// Padding). Weight [OutChannels, InChannels, k, k] and bias [OutChannels], PyTorch layouts.
/// @tparam InShape      input sample shape (C, H, W)
/// @tparam OutChannels  output channels
/// @tparam KernelSize   square kernel extent k
/// @tparam Stride       stride along both axes
/// @tparam Padding      zero padding on every side
/// @tparam Backend      dae::cpu, dae::cuda, or cpu_t<double> for gradient checks
template <class InShape, int OutChannels, int KernelSize, int Stride, int Padding, class Backend = cpu>
class Conv2d {
  static_assert(OutChannels > 0 && KernelSize > 0 && Stride > 0 && Padding >= 0,
                "dae::Conv2d: channels, kernel and stride must be positive, padding non-negative");

 public:
  using backend = Backend;
  using scalar = typename Backend::scalar;
  using input_shape = InShape;
  /// The convolution's geometry: the type the CPU backend and the CUDA kernels use too.
  using geometry = Conv2dGeometry<InShape, OutChannels, KernelSize, Stride, Padding>;
  using output_shape = Shape<OutChannels, geometry::OH, geometry::OW>;
  static constexpr int fan_in = InShape::channels * KernelSize * KernelSize;

  parameter_t<Backend> weight{{OutChannels, InShape::channels, KernelSize, KernelSize}};
  parameter_t<Backend> bias{{OutChannels}};

  /// PyTorch's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight, then bias.
  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
    upload_values(weight);
    upload_values(bias);
  }

  /// y = act(conv(x) + bias). @post y.batch() == x.batch()
  void forward(const Tensor<input_shape, Backend>& x, Tensor<output_shape, Backend>& y,
               Activation act = Activation::none) const {
    y.resize(x.batch());
    conv2d_forward<InShape, OutChannels, KernelSize, Stride, Padding>(Backend{}, x.data(), x.batch(), values(weight),
                                                                      values(bias), y.data(), act);
  }

  /// Adds dL/dweight and dL/dbias into the gradients; writes dL/dx when `dx` is not null.
  /// @param x                 the input given to forward
  /// @param dy                dL/dy, the gradient of the loss with respect to forward's output
  /// @param dx                where dL/dx is written (resized to x.batch()), or nullptr
  /// @param input_activation  the activation whose output x is: its derivative is applied to dx
  void backward(const Tensor<input_shape, Backend>& x, const Tensor<output_shape, Backend>& dy,
                Tensor<input_shape, Backend>* dx, Activation input_activation = Activation::none) {
    if (dx != nullptr) dx->resize(x.batch());
    conv2d_backward<InShape, OutChannels, KernelSize, Stride, Padding>(
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
