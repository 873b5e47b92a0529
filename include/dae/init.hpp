// PyTorch's default initialisation, driven by dae::Rng so it is the same on every platform.
// Conv2d, ConvTranspose2d and Linear draw weights and biases from U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) (kaiming_uniform_ with a = sqrt(5) reduces to exactly that bound), where
// fan_in is weight.size(1) * k * k: in_channels*k*k for Conv2d, out_channels*k*k for
// ConvTranspose2d, in_features for Linear. The values differ from PyTorch's (another
// generator); the distribution is the same.
#pragma once

#include <cmath>

#include "dae/parameter.hpp"
#include "dae/rng.hpp"

namespace dae {

/// Fills `parameter` with U(-1/sqrt(fan_in), 1/sqrt(fan_in)), in memory order.
template <class Scalar>
void init_uniform_fan_in(Parameter<Scalar>& parameter, int fan_in, Rng& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  for (Eigen::Index i = 0; i < parameter.value.size(); ++i) {
    parameter.value[i] = static_cast<Scalar>(bound * (2.0 * rng.uniform_double() - 1.0));
  }
}

}  // namespace dae
