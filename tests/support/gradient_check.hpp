// The generic finite-difference gradient check (after dlib's test_layer): for a layer-like
// function y = f(x; parameters) and the scalar objective L = sum(r .* y) with a fixed random r,
// compares backward's dL/dx and dL/dparameter with central differences in double precision.
//   - several step sizes; an element passes when any step agrees (kinks, rounding);
//   - threshold |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|);
//   - dx is poisoned with NaN before backward, so an element backward forgot cannot hide;
//   - parameter gradients start at a known non-zero value, which proves they are accumulated (+=)
//     and that every element is touched consistently.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "dae/parameter.hpp"
#include "dae/rng.hpp"
#include "dae/tensor.hpp"

namespace dae::test {

using Double = cpu_t<double>;

struct GradientCheckOptions {
  double rtol = 1e-5;
  double atol = 1e-8;
  std::size_t max_checks_per_tensor = 150;  ///< random subset of elements per tensor
  std::vector<double> steps{1e-3, 1e-4, 1e-5, 1e-6};
};

/// Checks dL/dx and every dL/dparameter of one layer at input `x`.
/// @param forward   (x, y) -> y = f(x)
/// @param backward  (x, y, dy, dx) -> dx written, parameter grads accumulated
template <class In, class Out>
void check_gradients(const std::string& what, Tensor<In, Double> x,
                     const std::function<void(const Tensor<In, Double>&, Tensor<Out, Double>&)>& forward,
                     const std::function<void(const Tensor<In, Double>&, const Tensor<Out, Double>&,
                                              const Tensor<Out, Double>&, Tensor<In, Double>*)>& backward,
                     const std::vector<std::pair<std::string, Parameter<double>*>>& parameters, Rng& rng,
                     GradientCheckOptions options = {}) {
  Tensor<Out, Double> y;
  forward(x, y);
  Tensor<Out, Double> r(x.batch());
  for (Eigen::Index i = 0; i < r.matrix().size(); ++i) r.data()[i] = rng.normal();
  auto objective = [&]() {
    Tensor<Out, Double> out;
    forward(x, out);
    return (out.matrix().array() * r.matrix().array()).sum();
  };

  constexpr double kPrefill = 0.25;
  for (auto& [name, p] : parameters) p->grad.setConstant(kPrefill);
  Tensor<In, Double> dx(x.batch());
  dx.poison();
  forward(x, y);
  backward(x, y, r, &dx);

  auto check_tensor = [&](const std::string& name, double* values, const double* analytic, Eigen::Index count,
                          double analytic_offset) {
    std::vector<Eigen::Index> indices(static_cast<std::size_t>(count));
    for (Eigen::Index i = 0; i < count; ++i) indices[static_cast<std::size_t>(i)] = i;
    if (indices.size() > options.max_checks_per_tensor) {
      for (std::size_t i = 0; i < options.max_checks_per_tensor; ++i) {
        std::swap(indices[i], indices[i + rng.below(indices.size() - i)]);
      }
      indices.resize(options.max_checks_per_tensor);
    }
    std::size_t failures = 0;
    std::string report;
    for (const Eigen::Index i : indices) {
      const double a = analytic[i] - analytic_offset;
      double best = INFINITY, best_numeric = NAN;
      for (const double h : options.steps) {
        const double saved = values[i];
        values[i] = saved + h;
        const double plus = objective();
        values[i] = saved - h;
        const double minus = objective();
        values[i] = saved;
        const double numeric = (plus - minus) / (2 * h);
        const double excess = std::abs(a - numeric) - (options.atol + options.rtol * std::max(std::abs(a), std::abs(numeric)));
        if (excess < best) best = excess, best_numeric = numeric;
      }
      if (!(best <= 0)) {
        if (++failures <= 5) report += "\n  [" + std::to_string(i) + "] analytic " + std::to_string(a) + " numeric " + std::to_string(best_numeric);
      }
    }
    INFO(what << ": gradient of " << name << ": " << failures << " of " << indices.size() << " checked elements differ" << report);
    CHECK(failures == 0);
  };

  check_tensor("x", x.data(), dx.data(), x.matrix().size(), 0.0);
  for (auto& [name, p] : parameters) {
    const Eigen::VectorXd analytic = p->grad;  // backward must not depend on the probes below
    check_tensor(name, p->value.data(), analytic.data(), p->value.size(), kPrefill);
  }
}

/// A tensor of standard normal values.
template <class S>
Tensor<S, Double> random_tensor(Eigen::Index batch, Rng& rng, double scale = 1.0) {
  Tensor<S, Double> t(batch);
  for (Eigen::Index i = 0; i < t.matrix().size(); ++i) t.data()[i] = scale * rng.normal();
  return t;
}

/// Random values for every element of a parameter (the default init is too regular for a test).
inline void randomize(Parameter<double>& p, Rng& rng, double scale = 0.5) {
  for (Eigen::Index i = 0; i < p.value.size(); ++i) p.value[i] = scale * rng.normal();
}

}  // namespace dae::test
