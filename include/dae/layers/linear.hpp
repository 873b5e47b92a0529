// Linear: y = W x + b, as torch.nn.Linear, for any backend. The arithmetic is the backend's
// (backend/cpu/linear.hpp: one GEMM over the batch; backend/cuda/linear.cuh).
#pragma once

#include <string>

#include "dae/backend/ops.hpp"
#include "dae/init.hpp"
#include "dae/parameter.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// torch.nn.Linear(InFeatures, OutFeatures). Weight [Out, In] (row-major, PyTorch's layout).
/// @tparam InFeatures   input features
/// @tparam OutFeatures  output features
/// @tparam Backend      dae::cpu, dae::cuda, or cpu_t<double> for gradient checks
template <int InFeatures, int OutFeatures, class Backend = cpu>
class Linear {
  static_assert(InFeatures > 0 && OutFeatures > 0, "dae::Linear: feature counts must be positive");

 public:
  using backend = Backend;
  using scalar = typename Backend::scalar;
  using input_shape = Shape<InFeatures>;
  using output_shape = Shape<OutFeatures>;
  static constexpr int fan_in = InFeatures;

  parameter_t<Backend> weight{{OutFeatures, InFeatures}};
  parameter_t<Backend> bias{{OutFeatures}};

  /// PyTorch's default initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight, then bias.
  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
    upload_values(weight);
    upload_values(bias);
  }

  /// y = act(W x + b) for every sample. @post y.batch() == x.batch()
  void forward(const Tensor<input_shape, Backend>& x, Tensor<output_shape, Backend>& y,
               Activation act = Activation::none) const {
    y.resize(x.batch());
    linear_forward<InFeatures, OutFeatures>(Backend{}, x.data(), x.batch(), values(weight), values(bias), y.data(),
                                            act);
  }

  /// Adds dL/dW = dy x^T and dL/db = sum(dy) into the gradients; writes dL/dx = W^T dy when `dx`
  /// is not null, times the derivative of `input_activation` (the activation whose output x is).
  void backward(const Tensor<input_shape, Backend>& x, const Tensor<output_shape, Backend>& dy,
                Tensor<input_shape, Backend>* dx, Activation input_activation = Activation::none) {
    if (dx != nullptr) dx->resize(x.batch());
    linear_backward<InFeatures, OutFeatures>(Backend{}, x.data(), dy.data(), x.batch(), values(weight),
                                             input_activation, dx != nullptr ? dx->data() : nullptr, grads(weight),
                                             grads(bias), workspace_);
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
