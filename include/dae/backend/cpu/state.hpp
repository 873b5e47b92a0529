// Layer state on the CPU backend: a parameter is a dae::Parameter, a buffer a dae::Buffer, both in
// host memory, so "the values" and "the host values" are the same thing. The free functions below
// are the CPU half of the state protocol that layers are written against (the CUDA half, with the
// same names and signatures, is backend/cuda/state.hpp).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dae/backend.hpp"
#include "dae/parameter.hpp"

namespace dae {

template <class Scalar>
struct backend_state<cpu_t<Scalar>> {
  using parameter = Parameter<Scalar>;
  using buffer = Buffer<Scalar>;
  template <class T>
  using scratch = std::vector<T>;
};

/// The storage the backend's ops read and write.
template <class S>
S* values(Parameter<S>& p) { return p.value.data(); }
template <class S>
const S* values(const Parameter<S>& p) { return p.value.data(); }
template <class S>
S* grads(Parameter<S>& p) { return p.grad.data(); }
template <class S>
S* values(Buffer<S>& b) { return b.value.data(); }
template <class S>
const S* values(const Buffer<S>& b) { return b.value.data(); }

/// Makes host-side writes of the values (initialisation) visible to the ops: nothing to do here.
template <class S>
void upload_values(Parameter<S>&) {}
template <class S>
void upload_values(Buffer<S>&) {}

template <class S>
void zero_grad(Parameter<S>& p) { p.grad.setZero(); }

/// Replaces the contents of a scratch buffer with host values (dae::Labels stores its labels so).
template <class T>
void assign_from_host(std::vector<T>& scratch, std::span<const T> host) {
  scratch.assign(host.begin(), host.end());
}

/// Hands a parameter to a state visitor (see parameter.hpp for the two kinds of visitor).
template <class Visitor, class S>
void visit_parameter(Visitor& visitor, const std::string& name, Parameter<S>& p) {
  if constexpr (requires { visitor.backend_parameter(name, p); })
    visitor.backend_parameter(name, p);
  else
    visitor.parameter(name, p);
}
template <class Visitor, class S>
void visit_buffer(Visitor& visitor, const std::string& name, Buffer<S>& b) {
  if constexpr (requires { visitor.backend_buffer(name, b); })
    visitor.backend_buffer(name, b);
  else
    visitor.buffer(name, b);
}

}  // namespace dae
