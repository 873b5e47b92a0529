// Softmax cross-entropy and the count of right classifications on the CUDA backend
// (kernels/cross_entropy.cuh), with the names and signatures of backend/cpu/cross_entropy.hpp.
// `state` is the device loss state of loss_state.cuh. cross_entropy_loss and count_correct wait
// for their result; cross_entropy_loss_accumulate does not.
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "dae/backend.hpp"
#include "dae/backend/cuda/loss_state.cuh"
#include "dae/backend/cuda/memory.hpp"
#include "kernels/cross_entropy.cuh"

namespace dae {

namespace cuda_backend::detail {
template <int Classes>
void cross_entropy_issue(const float* logits, const std::int32_t* labels, Eigen::Index batch, float* dlogits,
                         DeviceBuffer<double>& state, bool accumulate) {
  prepare_loss_state(state);
  kernels::cross_entropy_loss<Classes>(logits, labels, batch, dlogits, state.data(),
                                       accumulate ? state.data() + 1 : nullptr, state.data() + 2, current_stream());
}
}  // namespace cuda_backend::detail

template <int Classes>
double cross_entropy_loss(cuda, const float* logits, const std::int32_t* labels, Eigen::Index batch, float* dlogits,
                          cuda_backend::DeviceBuffer<double>& state) {
  cuda_backend::detail::cross_entropy_issue<Classes>(logits, labels, batch, dlogits, state, false);
  return cuda_backend::detail::last_result(state);
}

template <int Classes>
void cross_entropy_loss_accumulate(cuda, const float* logits, const std::int32_t* labels, Eigen::Index batch,
                                   float* dlogits, cuda_backend::DeviceBuffer<double>& state) {
  cuda_backend::detail::cross_entropy_issue<Classes>(logits, labels, batch, dlogits, state, true);
}

template <int Classes>
long long count_correct(cuda, const float* logits, const std::int32_t* labels, Eigen::Index batch,
                        cuda_backend::DeviceBuffer<double>& state) {
  cuda_backend::detail::prepare_loss_state(state);
  kernels::count_correct<Classes>(logits, labels, batch, state.data(), state.data() + 2,
                                  cuda_backend::current_stream());
  return static_cast<long long>(cuda_backend::detail::last_result(state));
}

}  // namespace dae
