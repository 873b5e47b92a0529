// Adam with PyTorch's semantics (torch.optim.Adam, single-tensor path, no weight decay, no
// amsgrad), for any backend: per-parameter first and second moments in the backend's memory, the
// step count and the bias corrections (in double) on the host, the element-wise update by the
// backend (backend/cpu/adam.hpp, backend/cuda/adam.cuh: the same bits on both).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dae/backend/ops.hpp"
#include "dae/optim/adam_step.hpp"
#include "dae/parameter.hpp"

namespace dae {

/// Adam over a fixed list of parameters (attached once, in state-dict order; see parameters()).
/// @tparam Backend  the backend of the parameters: dae::cpu, dae::cuda, cpu_t<double>
template <class Backend = cpu>
class Adam {
 public:
  using scalar = typename Backend::scalar;
  using Parameters = std::vector<std::pair<std::string, parameter_t<Backend>*>>;

  explicit Adam(AdamOptions options = {}) : options_(options) {}

  /// Registers the parameters to optimise and zeroes the moments and the step counter.
  void attach(Parameters parameters) {
    parameters_ = std::move(parameters);
    exp_avg_.clear();
    exp_avg_sq_.clear();
    exp_avg_.reserve(parameters_.size());
    exp_avg_sq_.reserve(parameters_.size());
    for (auto& [name, parameter] : parameters_) {
      const Buffer<scalar> zeros{Buffer<scalar>::Vector::Zero(parameter->value.size()), parameter->shape};
      exp_avg_.emplace_back(zeros);
      exp_avg_sq_.emplace_back(zeros);
    }
    slots_.clear();
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      slots_.push_back({values(*parameters_[i].second), grads(*parameters_[i].second), values(exp_avg_[i]),
                        values(exp_avg_sq_[i]), static_cast<std::size_t>(parameters_[i].second->value.size())});
    }
    step_ = 0;
  }

  [[nodiscard]] const AdamOptions& options() const { return options_; }
  void set_options(const AdamOptions& options) { options_ = options; }
  [[nodiscard]] std::int64_t step_count() const { return step_; }

  /// Sets every attached gradient to zero.
  void zero_grad() { zero_grads(Backend{}, std::span<const AdamSlot<scalar>>(slots_)); }

  /// One update of every attached parameter from its current gradient.
  void step() {
    ++step_;
    adam_step(Backend{}, std::span<const AdamSlot<scalar>>(slots_),
              AdamCoefficients<scalar>::at_step(options_, step_));
  }

  /// Visits the optimiser state (moments as buffers "<param>.exp_avg" / ".exp_avg_sq", and the
  /// step counter "step") for resumable checkpoints.
  template <class Visitor>
  void visit_state(Visitor& visitor) {
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      visit_buffer(visitor, parameters_[i].first + ".exp_avg", exp_avg_[i]);
      visit_buffer(visitor, parameters_[i].first + ".exp_avg_sq", exp_avg_sq_[i]);
    }
    visitor.counter("step", step_);
  }

 private:
  AdamOptions options_;
  Parameters parameters_;
  std::vector<buffer_t<Backend>> exp_avg_, exp_avg_sq_;
  std::vector<AdamSlot<scalar>> slots_;
  std::int64_t step_ = 0;
};

/// Every trainable parameter of a model or layer (anything with visit_state), with its
/// state_dict name, in the backend's own storage: what an optimiser attaches.
template <class Model>
auto parameters(Model& model) {
  using Backend = typename Model::backend;
  using Entry = std::pair<std::string, parameter_t<Backend>*>;
  struct Collect {
    std::vector<Entry> entries;
    void backend_parameter(const std::string& name, parameter_t<Backend>& p) { entries.emplace_back(name, &p); }
    void backend_buffer(const std::string&, buffer_t<Backend>&) {}
    void counter(const std::string&, std::int64_t&) {}
  } collect;
  if constexpr (requires { model.visit_state(collect); })
    model.visit_state(collect);
  else
    model.visit_state(std::string(), collect);
  return std::move(collect.entries);
}

}  // namespace dae
