// Element-wise activations. Both backward passes are written in terms of the forward *output*,
// so an activation may run in place (y aliasing x).
#pragma once

#include <cmath>

#include "dae/tensor.hpp"

namespace dae {

/// max(x, 0). @tparam S sample shape (input = output)
template <class S, class Backend = cpu>
struct ReLU {
  using input_shape = S;
  using output_shape = S;

  /// y = max(x, 0); y may be x.
  static void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) {
    y.resize(x.batch());
    y.matrix() = x.matrix().cwiseMax(typename Backend::scalar(0));
  }
  /// dx = dy where y > 0, else 0 (PyTorch's choice of 0 at x == 0); dx may be dy.
  static void backward(const Tensor<S, Backend>& y, const Tensor<S, Backend>& dy, Tensor<S, Backend>& dx) {
    dx.resize(y.batch());
    dx.matrix() = (y.matrix().array() > 0).select(dy.matrix(), typename Backend::scalar(0));
  }
};

/// 1 / (1 + exp(-x)), evaluated without overflow for large |x|.
template <class S, class Backend = cpu>
struct Sigmoid {
  using input_shape = S;
  using output_shape = S;
  using scalar = typename Backend::scalar;

  /// Numerically stable: exp is only taken of -|x|, which never overflows.
  static scalar sigmoid(scalar x) {
    if (x >= 0) return scalar(1) / (scalar(1) + std::exp(-x));
    const scalar e = std::exp(x);
    return e / (scalar(1) + e);
  }
  /// y = sigmoid(x); y may be x.
  static void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) {
    y.resize(x.batch());
    y.matrix() = x.matrix().unaryExpr([](scalar v) { return sigmoid(v); });
  }
  /// dx = dy * y * (1 - y); dx may be dy.
  static void backward(const Tensor<S, Backend>& y, const Tensor<S, Backend>& dy, Tensor<S, Backend>& dx) {
    dx.resize(y.batch());
    dx.matrix() = dy.matrix().array() * y.matrix().array() * (scalar(1) - y.matrix().array());
  }
};

}  // namespace dae
