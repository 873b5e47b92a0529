// ReLU and Sigmoid as layers, for any backend: stateless, y may be x and dx may be dy. Backward
// takes the forward *output* (both derivatives are functions of it). Networks usually fuse them
// into the neighbouring layer instead (forward's `act`, backward's `input_activation`).
#pragma once

#include "dae/backend/ops.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// max(x, 0), element-wise.
template <class S, class Backend = cpu>
struct ReLU {
  using backend = Backend;
  using input_shape = S;
  using output_shape = S;

  static void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) {
    y.resize(x.batch());
    activation_forward(Backend{}, Activation::relu, x.data(), y.data(), x.batch() * S::size);
  }
  /// dx = dy where y > 0, else 0.
  static void backward(const Tensor<S, Backend>& y, const Tensor<S, Backend>& dy, Tensor<S, Backend>& dx) {
    dx.resize(y.batch());
    relu_backward(Backend{}, y.data(), dy.data(), dx.data(), y.batch() * S::size);
  }
};

/// 1 / (1 + exp(-x)), element-wise, stable for large |x|.
template <class S, class Backend = cpu>
struct Sigmoid {
  using backend = Backend;
  using input_shape = S;
  using output_shape = S;

  static void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) {
    y.resize(x.batch());
    activation_forward(Backend{}, Activation::sigmoid, x.data(), y.data(), x.batch() * S::size);
  }
  /// dx = dy * y * (1 - y).
  static void backward(const Tensor<S, Backend>& y, const Tensor<S, Backend>& dy, Tensor<S, Backend>& dx) {
    dx.resize(y.batch());
    sigmoid_backward(Backend{}, y.data(), dy.data(), dx.data(), y.batch() * S::size);
  }
};

}  // namespace dae
