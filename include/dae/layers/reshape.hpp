// Flatten and Unflatten: (C, H, W) <-> (C*H*W). Batch-major storage makes both pure
// reinterpretations; they copy (a few hundred scalars per sample) to keep tensors value types.
#pragma once

#include "dae/tensor.hpp"

namespace dae {

/// Reinterprets a batch of `From` samples as a batch of `To` samples of equal size.
template <class From, class To, class Backend = cpu>
struct Reshape {
  static_assert(From::size == To::size, "dae::Reshape: both shapes must hold the same number of elements");
  using input_shape = From;
  using output_shape = To;

  static void forward(const Tensor<From, Backend>& x, Tensor<To, Backend>& y) {
    y.resize(x.batch());
    y.matrix() = x.matrix();
  }
  static void backward(const Tensor<To, Backend>& dy, Tensor<From, Backend>& dx) {
    dx.resize(dy.batch());
    dx.matrix() = dy.matrix();
  }
};

/// torch.nn.Flatten(start_dim=1): (C, H, W) -> (C*H*W).
template <class From, class Backend = cpu>
using Flatten = Reshape<From, Shape<From::size>, Backend>;

/// torch.nn.Unflatten(1, (C, H, W)): (C*H*W) -> (C, H, W).
template <class To, class Backend = cpu>
using Unflatten = Reshape<Shape<To::size>, To, Backend>;

}  // namespace dae
