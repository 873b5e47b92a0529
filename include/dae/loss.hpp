// Losses on tensors of any backend. The arithmetic is the backend's (backend/cpu/<loss>.hpp,
// backend/cuda/<loss>.cuh); on CUDA these wait for the result.
//  - mse_loss: torch.nn.MSELoss(reduction="mean"), the mean over every element of the batch.
//  - cross_entropy_loss: torch.nn.CrossEntropyLoss(reduction="mean") on raw logits (softmax and
//    negative log-likelihood in one stable pass), the mean over the samples; count_correct, the
//    samples whose largest logit is their label (accuracy = count_correct / batch).
// Every sum is in double, so a large batch keeps its digits.
#pragma once

#include <cstdint>
#include <string>

#include "dae/backend/ops.hpp"
#include "dae/error.hpp"
#include "dae/labels.hpp"
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

namespace detail {
template <int Classes, class Backend>
void check_classified_batch(const Tensor<Shape<Classes>, Backend>& logits, const Labels<Classes, Backend>& labels) {
  if (logits.batch() <= 0 || logits.batch() != labels.size())
    throw Error("cross_entropy_loss: " + std::to_string(logits.batch()) + " samples of logits but " +
                std::to_string(labels.size()) + " labels");
}
}  // namespace detail

/// Returns mean over the samples of -log softmax(logits)[label].
/// @throws dae::Error unless logits.batch() == labels.size() > 0
template <int Classes, class Backend>
double cross_entropy_loss(const Tensor<Shape<Classes>, Backend>& logits, const Labels<Classes, Backend>& labels) {
  detail::check_classified_batch(logits, labels);
  scratch_t<Backend, double> state;
  return cross_entropy_loss<Classes>(Backend{}, logits.data(), labels.data(), logits.batch(), nullptr, state);
}

/// Returns the loss and writes its gradient dL/dlogits = (softmax(logits) - onehot(label)) / batch.
/// @throws dae::Error unless logits.batch() == labels.size() > 0
template <int Classes, class Backend>
double cross_entropy_loss(const Tensor<Shape<Classes>, Backend>& logits, const Labels<Classes, Backend>& labels,
                          Tensor<Shape<Classes>, Backend>& dlogits) {
  detail::check_classified_batch(logits, labels);
  dlogits.resize(logits.batch());
  scratch_t<Backend, double> state;
  return cross_entropy_loss<Classes>(Backend{}, logits.data(), labels.data(), logits.batch(), dlogits.data(), state);
}

/// The number of samples whose first largest logit is at their label.
/// @throws dae::Error unless logits.batch() == labels.size() > 0
template <int Classes, class Backend>
long long count_correct(const Tensor<Shape<Classes>, Backend>& logits, const Labels<Classes, Backend>& labels) {
  detail::check_classified_batch(logits, labels);
  scratch_t<Backend, double> state;
  return count_correct<Classes>(Backend{}, logits.data(), labels.data(), logits.batch(), state);
}

}  // namespace dae
