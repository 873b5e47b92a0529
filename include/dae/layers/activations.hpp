// Element-wise activations. Both backward passes are written in terms of the forward *output*,
// so an activation may run in place (y aliasing x).
#pragma once

#include <cmath>

#include "dae/backend/cpu/lanes.hpp"
#include "dae/backend/cpu/parallel.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// max(x, 0). @tparam S sample shape (input = output)
template <class S, class Backend = cpu>
struct ReLU {
  using input_shape = S;
  using output_shape = S;

  /// y = max(x, 0); y may be x.
  static void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) {
    y.resize(x.batch());
    y.matrix() = x.matrix().cwiseMax(typename Backend::scalar(0));
  }
  /// dx = dy where y > 0, else 0 (PyTorch's choice of 0 at x == 0); dx may be dy.
  static void backward(const Tensor<S, Backend>& y, const Tensor<S, Backend>& dy, Tensor<S, Backend>& dx) {
    dx.resize(y.batch());
    dx.matrix() = (y.matrix().array() > 0).select(dy.matrix(), typename Backend::scalar(0));
  }
};

/// 1 / (1 + exp(-x)), evaluated without overflow for large |x|.
template <class S, class Backend = cpu>
struct Sigmoid {
  using input_shape = S;
  using output_shape = S;
  using scalar = typename Backend::scalar;

  /// Numerically stable: exp is only taken of -|x|, which never overflows.
  static scalar sigmoid(scalar x) {
    if (x >= 0) return scalar(1) / (scalar(1) + std::exp(-x));
    const scalar e = std::exp(x);
    return e / (scalar(1) + e);
  }
  /// y = sigmoid(x); y may be x.
  static void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) {
    y.resize(x.batch());
    const scalar* in = x.data();
    scalar* out = y.data();
    detail::parallel_ranges(x.batch(), [&](Eigen::Index first, Eigen::Index last) {
      apply(in + first * S::size, (last - first) * S::size, out + first * S::size);
    });
  }

  /// out[i] = sigmoid(in[i]) for i < count; out may be in. SIMD packets (exp of -|x|); a packet
  /// holding an |x| > 80, whose exp(-|x|) is subnormal, goes through the scalar formula instead.
  static void apply(const scalar* in, Eigen::Index count, scalar* out) {
    using V = cpu_ops::Simd<scalar>;
    using namespace Eigen::internal;
    Eigen::Index i = 0;
    const auto one = V::broadcast(scalar(1));
    for (; i + V::lanes <= count; i += V::lanes) {
      const auto v = V::load(in + i);
      const auto magnitude = pabs(v);
      if (predux_max(magnitude) > scalar(80)) {
        for (int l = 0; l < V::lanes; ++l) out[i + l] = sigmoid(in[i + l]);
        continue;
      }
      const auto e = pexp(pnegate(magnitude));                  // exp(-|x|)
      const auto numerator = pselect(pcmp_lt(v, V::zero()), e, one);  // x < 0: e / (1 + e)
      V::store(out + i, pdiv(numerator, padd(one, e)));
    }
    for (; i < count; ++i) out[i] = sigmoid(in[i]);
  }
  /// dx = dy * y * (1 - y); dx may be dy.
  static void backward(const Tensor<S, Backend>& y, const Tensor<S, Backend>& dy, Tensor<S, Backend>& dx) {
    dx.resize(y.batch());
    dx.matrix() = dy.matrix().array() * y.matrix().array() * (scalar(1) - y.matrix().array());
  }
};

}  // namespace dae
