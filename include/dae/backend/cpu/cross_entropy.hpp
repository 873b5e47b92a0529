// Softmax cross-entropy on the CPU backend, as torch.nn.CrossEntropyLoss(reduction="mean") on raw
// logits, and the count of samples whose largest logit is their label (accuracy). Each sample is
// worked in double (a stable log-sum-exp: the largest logit is subtracted first), the batch sum
// in sample order, so the loss has the same bits for any thread count. The CUDA versions, with
// the same names and signatures, are backend/cuda/cross_entropy.cuh; the loss state is the MSE's
// (backend/cpu/loss_state.hpp).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "dae/backend.hpp"
#include "dae/backend/cpu/loss_state.hpp"

namespace dae {

namespace cpu_ops {
/// One sample's loss, log(sum_j exp(z_j)) - z[label]; writes scale * (softmax(z) - onehot(label))
/// into dz when it is not null.
template <int Classes, class T>
double cross_entropy_sample(const T* z, std::int32_t label, double scale, T* dz) {
  double largest = static_cast<double>(z[0]);
  for (int c = 1; c < Classes; ++c) largest = std::fmax(largest, static_cast<double>(z[c]));
  double exps[Classes];
  double sum = 0;
  for (int c = 0; c < Classes; ++c) {
    exps[c] = std::exp(static_cast<double>(z[c]) - largest);
    sum += exps[c];
  }
  if (dz != nullptr) {
    for (int c = 0; c < Classes; ++c)
      dz[c] = static_cast<T>(scale * (exps[c] / sum - (c == label ? 1.0 : 0.0)));
  }
  return std::log(sum) + largest - static_cast<double>(z[label]);
}

/// The index of the first largest logit.
template <int Classes, class T>
int argmax(const T* z) {
  int best = 0;
  for (int c = 1; c < Classes; ++c)
    if (z[c] > z[best]) best = c;
  return best;
}
}  // namespace cpu_ops

/// Returns the mean over `batch` samples of -log softmax(logits)[label]; writes
/// dL/dlogits = (softmax - onehot) / batch into dlogits when it is not null.
/// @pre batch > 0; labels in [0, Classes) (dae::Labels checks them)
template <int Classes, class T>
double cross_entropy_loss(cpu_t<T>, const T* logits, const std::int32_t* labels, Eigen::Index batch,
                          std::type_identity_t<T>* dlogits, std::vector<double>& state) {
  const double scale = 1.0 / static_cast<double>(batch);
  double sum = 0;
  for (Eigen::Index n = 0; n < batch; ++n)
    sum += cpu_ops::cross_entropy_sample<Classes>(logits + n * Classes, labels[n], scale,
                                                  dlogits != nullptr ? dlogits + n * Classes : nullptr);
  cpu_ops::prepare_loss_state(state);
  state[0] = sum * scale;
  return state[0];
}

/// As cross_entropy_loss, and adds the loss to the running sum (the CUDA version does not wait).
template <int Classes, class T>
void cross_entropy_loss_accumulate(cpu_t<T> backend, const T* logits, const std::int32_t* labels, Eigen::Index batch,
                                   std::type_identity_t<T>* dlogits, std::vector<double>& state) {
  const double loss = cross_entropy_loss<Classes>(backend, logits, labels, batch, dlogits, state);
  state[1] += loss;
}

/// The number of samples whose first largest logit is at their label.
template <int Classes, class T>
long long count_correct(cpu_t<T>, const T* logits, const std::int32_t* labels, Eigen::Index batch,
                        std::vector<double>& /*state*/) {
  long long correct = 0;
  for (Eigen::Index n = 0; n < batch; ++n) correct += cpu_ops::argmax<Classes>(logits + n * Classes) == labels[n];
  return correct;
}

}  // namespace dae
