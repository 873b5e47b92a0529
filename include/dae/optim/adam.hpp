// Adam with PyTorch's semantics (torch.optim.Adam, single-tensor path, no weight decay, no
// amsgrad): per-parameter first and second moments, bias correction computed in double,
// element-wise update in the parameter's precision in PyTorch's order of operations:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dae/parameter.hpp"
#include "dae/rounding.hpp"

namespace dae {

/// Adam's hyper-parameters, PyTorch's defaults.
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

/// Adam over a fixed list of parameters (attached once, in state-dict order).
template <class Scalar>
class Adam {
 public:
  explicit Adam(AdamOptions options = {}) : options_(options) {}

  /// Registers the parameters to optimise and zeroes the moments and the step counter.
  void attach(std::vector<std::pair<std::string, Parameter<Scalar>*>> parameters) {
    parameters_ = std::move(parameters);
    exp_avg_.clear();
    exp_avg_sq_.clear();
    for (auto& [name, parameter] : parameters_) {
      exp_avg_.push_back(Buffer<Scalar>{Buffer<Scalar>::Vector::Zero(parameter->value.size()), parameter->shape});
      exp_avg_sq_.push_back(Buffer<Scalar>{Buffer<Scalar>::Vector::Zero(parameter->value.size()), parameter->shape});
    }
    step_ = 0;
  }

  [[nodiscard]] const AdamOptions& options() const { return options_; }
  void set_options(const AdamOptions& options) { options_ = options; }
  [[nodiscard]] std::int64_t step_count() const { return step_; }

  /// Sets every attached gradient to zero.
  void zero_grad() {
    for (auto& [name, parameter] : parameters_) parameter->grad.setZero();
  }

  /// One update of every attached parameter from its current gradient.
  void step() {
    ++step_;
    const double bias_correction1 = 1.0 - std::pow(options_.beta1, static_cast<double>(step_));
    const double bias_correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(step_));
    const auto beta1 = static_cast<Scalar>(options_.beta1), beta2 = static_cast<Scalar>(options_.beta2);
    const auto one_minus_beta1 = static_cast<Scalar>(1.0 - options_.beta1);
    const auto one_minus_beta2 = static_cast<Scalar>(1.0 - options_.beta2);
    const auto step_size = static_cast<Scalar>(options_.lr / bias_correction1);
    const auto bias_correction2_sqrt = static_cast<Scalar>(std::sqrt(bias_correction2));
    const auto eps = static_cast<Scalar>(options_.eps);
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      auto& p = parameters_[i].second->value;
      const auto& g = parameters_[i].second->grad;
      auto& m = exp_avg_[i].value;
      auto& v = exp_avg_sq_[i].value;
      for (Eigen::Index j = 0; j < p.size(); ++j) {
        // Each operation rounded on its own (rounding.hpp): the CUDA Adam computes the same bits.
        m[j] = add_rn(mul_rn(m[j], beta1), mul_rn(g[j], one_minus_beta1));
        v[j] = add_rn(mul_rn(v[j], beta2), mul_rn(mul_rn(one_minus_beta2, g[j]), g[j]));
        const Scalar denom = add_rn(div_rn(sqrt_rn(v[j]), bias_correction2_sqrt), eps);
        p[j] = add_rn(p[j], mul_rn(-step_size, div_rn(m[j], denom)));
      }
    }
  }

  /// Visits the optimiser state (moments as buffers "<param>.exp_avg" / ".exp_avg_sq", and the
  /// step counter "step") for resumable checkpoints.
  template <class Visitor>
  void visit_state(Visitor& visitor) {
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      visitor.buffer(parameters_[i].first + ".exp_avg", exp_avg_[i]);
      visitor.buffer(parameters_[i].first + ".exp_avg_sq", exp_avg_sq_[i]);
    }
    visitor.counter("step", step_);
  }

 private:
  AdamOptions options_;
  std::vector<std::pair<std::string, Parameter<Scalar>*>> parameters_;
  std::vector<Buffer<Scalar>> exp_avg_, exp_avg_sq_;
  std::int64_t step_ = 0;
};

}  // namespace dae
