// Mean squared error on tensors of any backend, as torch.nn.MSELoss(reduction="mean"): the mean
// over every element of the batch, summed in double so a large batch keeps its digits. The
// arithmetic is the backend's (backend/cpu/mse.hpp, backend/cuda/mse.cuh); on CUDA these wait
// for the result.
#pragma once

#include "dae/backend/ops.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// Returns mean((y - target)^2) over all elements. @pre y.batch() == target.batch() > 0
template <class S, class Backend>
double mse_loss(const Tensor<S, Backend>& y, const Tensor<S, Backend>& target) {
  scratch_t<Backend, double> state;
  return mse_loss<S::size>(Backend{}, y.data(), target.data(), y.batch(), nullptr, state);
}

/// Returns the loss and writes its gradient dL/dy = 2 (y - target) / numel into `dy`.
template <class S, class Backend>
double mse_loss(const Tensor<S, Backend>& y, const Tensor<S, Backend>& target, Tensor<S, Backend>& dy) {
  dy.resize(y.batch());
  scratch_t<Backend, double> state;
  return mse_loss<S::size>(Backend{}, y.data(), target.data(), y.batch(), dy.data(), state);
}

}  // namespace dae
