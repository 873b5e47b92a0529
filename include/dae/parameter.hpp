// A trainable parameter (value and gradient, in PyTorch's memory layout) and the visitor
// protocol through which optimisers and checkpoints see every piece of a model's state.
//
// Convention (as in llm.c): backward *adds* into parameter gradients and *writes* input
// gradients. A training step zeroes the parameter gradients first.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace dae {

/// One trainable tensor: `value` and `grad`, flat, in PyTorch's layout for `shape`.
template <class Scalar>
struct Parameter {
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  Vector value;
  Vector grad;
  std::vector<std::int64_t> shape;  ///< PyTorch's shape, e.g. {out, in, k, k} for Conv2d

  explicit Parameter(std::vector<std::int64_t> pytorch_shape) : shape(std::move(pytorch_shape)) {
    Eigen::Index count = 1;
    for (auto extent : shape) count *= extent;
    value = Vector::Zero(count);
    grad = Vector::Zero(count);
  }
};

/// A non-trainable float tensor that is part of the state (BatchNorm running statistics).
template <class Scalar>
struct Buffer {
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  Vector value;
  std::vector<std::int64_t> shape;
};

/// Joins a state-dict prefix and a local name with a dot ("encoder.encoder_cnn.0" + "weight").
inline std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// A state visitor is any object with these three members; layers call them for each entry in
// PyTorch's state_dict order:
//   void parameter(const std::string& name, Parameter<Scalar>&);
//   void buffer(const std::string& name, Buffer<Scalar>&);
//   void counter(const std::string& name, std::int64_t&);   // num_batches_tracked (I64)
// These see host values on every backend (a CUDA layer refreshes its host mirror first and
// uploads what the visitor wrote after). A visitor that wants the backend's own storage (an
// optimiser: no copies, device pointers on CUDA) has `backend_parameter` and `backend_buffer`
// members taking parameter_t<Backend>& / buffer_t<Backend>& instead; layers reach either kind
// through visit_parameter / visit_buffer (backend/cpu/state.hpp, backend/cuda/state.hpp).

/// What a backend stores a layer's state in: `parameter` and `buffer` (Parameter/Buffer on the
/// CPU; host mirrors with device copies on CUDA) and `scratch<T>`, a growable array the backend's
/// ops size themselves (std::vector on the CPU, device memory on CUDA). Specialised per backend.
template <class Backend>
struct backend_state;

template <class Backend>
using parameter_t = typename backend_state<Backend>::parameter;
template <class Backend>
using buffer_t = typename backend_state<Backend>::buffer;
template <class Backend, class T>
using scratch_t = typename backend_state<Backend>::template scratch<T>;

}  // namespace dae
