// Adam's update and the gradient reset on the CPU backend. Each operation is rounded on its own
// (rounding.hpp), in PyTorch's order, so the CUDA version (backend/cuda/adam.cuh, same names and
// signatures) computes the same bits:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#pragma once

#include <algorithm>
#include <span>

#include "dae/backend.hpp"
#include "dae/optim/adam_step.hpp"
#include "dae/rounding.hpp"

namespace dae {

/// One Adam update of every slot from its current gradient.
template <class T>
void adam_step(cpu_t<T>, std::span<const AdamSlot<T>> slots, const AdamCoefficients<T>& s) {
  for (const AdamSlot<T>& slot : slots) {
    for (std::size_t j = 0; j < slot.size; ++j) {
      T& m = slot.exp_avg[j];
      T& v = slot.exp_avg_sq[j];
      const T g = slot.grad[j];
      m = add_rn(mul_rn(m, s.beta1), mul_rn(g, s.one_minus_beta1));
      v = add_rn(mul_rn(v, s.beta2), mul_rn(mul_rn(s.one_minus_beta2, g), g));
      const T denom = add_rn(div_rn(sqrt_rn(v), s.bias_correction2_sqrt), s.eps);
      slot.value[j] = add_rn(slot.value[j], mul_rn(-s.step_size, div_rn(m, denom)));
    }
  }
}

/// Sets every slot's gradient to zero.
template <class T>
void zero_grads(cpu_t<T>, std::span<const AdamSlot<T>> slots) {
  for (const AdamSlot<T>& slot : slots) std::fill(slot.grad, slot.grad + slot.size, T(0));
}

}  // namespace dae
