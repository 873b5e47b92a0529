// Adam's update and the gradient reset on the CUDA backend (kernels/adam.cuh: one launch for
// every parameter), with the names and signatures of backend/cpu/adam.hpp and its bits (each
// operation rounded on its own). Issued on the current stream; neither waits for the device.
#pragma once

#include <span>
#include <string>

#include "dae/backend.hpp"
#include "dae/backend/cuda/memory.hpp"
#include "dae/error.hpp"
#include "kernels/adam.cuh"
#include "dae/optim/adam_step.hpp"

namespace dae {

namespace cuda_backend::detail {
inline kernels::TensorList tensor_list(std::span<const AdamSlot<float>> slots) {
  if (slots.size() > static_cast<std::size_t>(kernels::TensorList::kMaxTensors))
    throw Error("Adam on CUDA: " + std::to_string(slots.size()) + " parameters, at most " +
                std::to_string(kernels::TensorList::kMaxTensors) + " supported");
  kernels::TensorList list{};
  for (const AdamSlot<float>& slot : slots) {
    list.value[list.count] = slot.value;
    list.grad[list.count] = slot.grad;
    list.exp_avg[list.count] = slot.exp_avg;
    list.exp_avg_sq[list.count] = slot.exp_avg_sq;
    list.size[list.count] = static_cast<long long>(slot.size);
    ++list.count;
  }
  return list;
}
}  // namespace cuda_backend::detail

inline void adam_step(cuda, std::span<const AdamSlot<float>> slots, const AdamCoefficients<float>& c) {
  kernels::AdamStep s{};
  s.beta1 = c.beta1;
  s.beta2 = c.beta2;
  s.one_minus_beta1 = c.one_minus_beta1;
  s.one_minus_beta2 = c.one_minus_beta2;
  s.step_size = c.step_size;
  s.bias_correction2_sqrt = c.bias_correction2_sqrt;
  s.eps = c.eps;
  kernels::adam_step(cuda_backend::detail::tensor_list(slots), s, cuda_backend::current_stream());
}

inline void zero_grads(cuda, std::span<const AdamSlot<float>> slots) {
  kernels::zero_grad(cuda_backend::detail::tensor_list(slots), cuda_backend::current_stream());
}

}  // namespace dae
