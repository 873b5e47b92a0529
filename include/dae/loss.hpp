// Mean squared error, as torch.nn.MSELoss(reduction="mean"): the mean over every element of the
// batch. The sum is taken in double so the loss of a large batch keeps its digits.
#pragma once

#include "dae/tensor.hpp"

namespace dae {

/// Returns mean((y - target)^2) over all elements. @pre y.batch() == target.batch() > 0
/// Each sample's sum is taken in the tensor's precision, the sum over samples in double, in
/// sample order.
template <class S, class Backend>
double mse_loss(const Tensor<S, Backend>& y, const Tensor<S, Backend>& target) {
  double sum = 0;
  for (Eigen::Index n = 0; n < y.batch(); ++n)
    sum += static_cast<double>((y.matrix().col(n) - target.matrix().col(n)).squaredNorm());
  return sum / static_cast<double>(y.matrix().size());
}

/// Returns the loss and writes its gradient dL/dy = 2 (y - target) / numel into `dy`.
template <class S, class Backend>
double mse_loss(const Tensor<S, Backend>& y, const Tensor<S, Backend>& target, Tensor<S, Backend>& dy) {
  using scalar = typename Backend::scalar;
  dy.resize(y.batch());
  const auto scale = static_cast<scalar>(2.0 / static_cast<double>(y.matrix().size()));
  double sum = 0;
  for (Eigen::Index n = 0; n < y.batch(); ++n) {
    dy.matrix().col(n) = y.matrix().col(n) - target.matrix().col(n);
    sum += static_cast<double>(dy.matrix().col(n).squaredNorm());
    dy.matrix().col(n) *= scale;
  }
  return sum / static_cast<double>(y.matrix().size());
}

}  // namespace dae
