// Mean squared error, as torch.nn.MSELoss(reduction="mean"): the mean over every element of the
// batch. The sum is taken in double so the loss of a large batch keeps its digits.
#pragma once

#include "dae/tensor.hpp"

namespace dae {

/// Returns mean((y - target)^2) over all elements. @pre y.batch() == target.batch() > 0
template <class S, class Backend>
double mse_loss(const Tensor<S, Backend>& y, const Tensor<S, Backend>& target) {
  return (y.matrix().template cast<double>() - target.matrix().template cast<double>()).squaredNorm() /
         static_cast<double>(y.matrix().size());
}

/// Returns the loss and writes its gradient dL/dy = 2 (y - target) / numel into `dy`.
template <class S, class Backend>
double mse_loss(const Tensor<S, Backend>& y, const Tensor<S, Backend>& target, Tensor<S, Backend>& dy) {
  using scalar = typename Backend::scalar;
  dy.resize(y.batch());
  const auto scale = static_cast<scalar>(2.0 / static_cast<double>(y.matrix().size()));
  dy.matrix() = scale * (y.matrix() - target.matrix());
  return mse_loss(y, target);
}

}  // namespace dae
