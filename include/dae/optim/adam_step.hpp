// What one Adam update needs, independent of the backend: the hyper-parameters (AdamOptions), the
// per-step coefficients derived from them, and the storage of one parameter (AdamSlot). The
// update itself is backend/cpu/adam.hpp and backend/cuda/adam.cuh; the optimiser is optim/adam.hpp.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace dae {

/// Adam's hyper-parameters, PyTorch's defaults.
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

/// The scalars of step `t` in the parameters' precision; bias corrections computed in double, as
/// PyTorch does.
template <class T>
struct AdamCoefficients {
  T beta1, beta2, one_minus_beta1, one_minus_beta2, step_size, bias_correction2_sqrt, eps;

  static AdamCoefficients at_step(const AdamOptions& o, std::int64_t t) {
    const double bias_correction1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
    const double bias_correction2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
    return {static_cast<T>(o.beta1),
            static_cast<T>(o.beta2),
            static_cast<T>(1.0 - o.beta1),
            static_cast<T>(1.0 - o.beta2),
            static_cast<T>(o.lr / bias_correction1),
            static_cast<T>(std::sqrt(bias_correction2)),
            static_cast<T>(o.eps)};
  }
};

/// One parameter as the update sees it: `size` values with their gradient and moments, in the
/// backend's memory.
template <class T>
struct AdamSlot {
  T* value;
  T* grad;
  T* exp_avg;
  T* exp_avg_sq;
  std::size_t size;
};

}  // namespace dae
