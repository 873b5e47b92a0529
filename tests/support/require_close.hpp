// require_close: compares two arrays element by element with |a - e| <= atol + rtol * |e| and,
// on failure, reports the worst index and the first few mismatches (not just "false").
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>

namespace dae::test {

template <class A, class E>
void require_close(const A* actual, const E* expected, std::size_t count, double rtol, double atol,
                   const std::string& what) {
  std::size_t mismatches = 0, worst = 0;
  double worst_excess = -1;
  std::ostringstream first;
  for (std::size_t i = 0; i < count; ++i) {
    const double a = static_cast<double>(actual[i]), e = static_cast<double>(expected[i]);
    const double allowed = atol + rtol * std::abs(e);
    const double excess = std::isfinite(a) ? std::abs(a - e) - allowed : INFINITY;
    if (excess > 0 || std::isnan(a) != std::isnan(e)) {
      if (mismatches < 5) first << "\n  [" << i << "] actual " << a << " expected " << e;
      ++mismatches;
      if (excess > worst_excess) worst_excess = excess, worst = i;
    }
  }
  INFO(what << ": " << mismatches << " of " << count << " elements differ (rtol " << rtol << ", atol " << atol
            << "); worst at [" << worst << "]" << first.str());
  REQUIRE(mismatches == 0);
}

template <class A, class E>
void require_close(const A& actual, const E& expected, double rtol, double atol, const std::string& what) {
  REQUIRE(static_cast<std::size_t>(actual.size()) == static_cast<std::size_t>(expected.size()));
  require_close(actual.data(), expected.data(), static_cast<std::size_t>(actual.size()), rtol, atol, what);
}

/// The absolute floor for comparing a reduction (a parameter gradient, a sum over the batch):
/// rtol times the mean magnitude of the expected values (tiny-cuda-nn's mean-scaled epsilon).
/// A float32 sum of n terms that cancels down to a small value carries an absolute rounding
/// error set by the terms, not by the result, so a purely relative bound would fail any float32
/// implementation, PyTorch's own included.
template <class E>
double mean_scaled_atol(const E& expected, double rtol) {
  double sum = 0;
  for (const auto& value : expected) sum += std::abs(static_cast<double>(value));
  return expected.empty() ? 0.0 : rtol * sum / static_cast<double>(expected.size());
}

}  // namespace dae::test
