// Reshape (Flatten, Unflatten) for any backend: the batch-major layout is the same for both
// shapes, so it is a copy of the values under another compile-time shape.
#pragma once

#include "dae/backend/ops.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// Reinterprets each sample of shape From as shape To (same number of values).
template <class From, class To, class Backend = cpu>
struct Reshape {
  static_assert(From::size == To::size, "dae::Reshape: both shapes must hold the same number of elements");
  using backend = Backend;
  using input_shape = From;
  using output_shape = To;

  static void forward(const Tensor<From, Backend>& x, Tensor<To, Backend>& y) {
    y.resize(x.batch());
    copy_values(Backend{}, x.data(), y.data(), x.batch() * From::size);
  }
  static void backward(const Tensor<To, Backend>& dy, Tensor<From, Backend>& dx) {
    dx.resize(dy.batch());
    copy_values(Backend{}, dy.data(), dx.data(), dy.batch() * To::size);
  }
};

template <class From, class Backend = cpu>
using Flatten = Reshape<From, Shape<From::size>, Backend>;

template <class To, class Backend = cpu>
using Unflatten = Reshape<Shape<To::size>, To, Backend>;

}  // namespace dae
