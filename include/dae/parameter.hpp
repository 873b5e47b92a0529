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

}  // namespace dae
