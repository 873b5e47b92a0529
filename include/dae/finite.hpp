// Finding the first tensor of a state that holds NaN or infinity, by its state_dict name: what a
// training loop needs to stop on divergence with a message that says where it happened (as
// PyTorch's anomaly detection names the operation). It walks anything with the state-visitor
// protocol of parameter.hpp (a model, an optimiser, a training state) on either backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dae/parameter.hpp"

namespace dae {

namespace detail {

struct NonFiniteFinder {
  std::optional<std::string> found;
  template <class Scalar>
  void parameter(const std::string& name, Parameter<Scalar>& p) {
    if (found) return;
    if (!p.value.allFinite()) found = name;
    else if (!p.grad.allFinite()) found = name + " (gradient)";
  }
  template <class Scalar>
  void buffer(const std::string& name, Buffer<Scalar>& b) {
    if (!found && !b.value.allFinite()) found = name;
  }
  void counter(const std::string&, std::int64_t&) {}
};

}  // namespace detail

/// The name of the first parameter, gradient or buffer that `visit(visitor)` shows holding a NaN
/// or an infinity, in visiting order; a gradient is named "<parameter> (gradient)".
/// @param visit a callable that calls `x.visit_state(visitor)` on what is to be checked.
/// @return the name, or nothing when every value is finite.
template <class Visit>
std::optional<std::string> first_non_finite(Visit&& visit) {
  detail::NonFiniteFinder finder;
  visit(finder);
  return finder.found;
}

}  // namespace dae
