// Element-wise ops on the CPU backend: the activations (as a layer's forward epilogue or on
// their own), their derivatives, the ReLU mask that a layer's backward-data pass applies, and a
// plain copy (Flatten). The CUDA versions, with the same names and signatures, are
// backend/cuda/activations.cuh. Every function allows the output to be the input.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "dae/activation.hpp"
#include "dae/backend.hpp"
#include "dae/backend/cpu/lanes.hpp"
#include "dae/backend/cpu/parallel.hpp"

namespace dae {
namespace cpu_ops {

/// The logistic function, stable for large |x| (exp only of -|x|).
template <class T>
T sigmoid(T x) {
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

/// out = sigmoid(in) for `count` values, vectorised; the exact scalar form where |x| > 80.
template <class T>
void sigmoid_values(const T* in, Eigen::Index count, T* out) {
  using V = Simd<T>;
  using namespace Eigen::internal;
  Eigen::Index i = 0;
  const auto one = V::broadcast(T(1));
  for (; i + V::lanes <= count; i += V::lanes) {
    const auto v = V::load(in + i);
    const auto magnitude = pabs(v);
    if (predux_max(magnitude) > T(80)) {
      for (int l = 0; l < V::lanes; ++l) out[i + l] = sigmoid(in[i + l]);
      continue;
    }
    const auto e = pexp(pnegate(magnitude));                        // exp(-|x|)
    const auto numerator = pselect(pcmp_lt(v, V::zero()), e, one);  // x < 0: e / (1 + e)
    V::store(out + i, pdiv(numerator, padd(one, e)));
  }
  for (; i < count; ++i) out[i] = sigmoid(in[i]);
}

template <class T>
using Values = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstValues = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

}  // namespace cpu_ops

inline constexpr Eigen::Index kSigmoidChunk = 4096;

/// y = act(x) for `count` values.
template <class T>
void activation_forward(cpu_t<T>, Activation act, const T* x, T* y, Eigen::Index count) {
  switch (act) {
    case Activation::none:
      if (x != y) std::copy(x, x + count, y);
      break;
    case Activation::relu:
      cpu_ops::Values<T>(y, count) = cpu_ops::ConstValues<T>(x, count).max(T(0));
      break;
    case Activation::sigmoid:
      // Fixed chunks of whole lane blocks: which values take the scalar tail path must not
      // depend on the thread count (bit-for-bit reproducibility).
      detail::parallel_chunks(count, kSigmoidChunk, [&](Eigen::Index first, Eigen::Index last) {
        cpu_ops::sigmoid_values(x + first, last - first, y + first);
      });
      break;
  }
}

/// dx = dy where y > 0, else 0: ReLU's derivative from its output y.
template <class T>
void relu_backward(cpu_t<T>, const T* y, const T* dy, T* dx, Eigen::Index count) {
  cpu_ops::Values<T>(dx, count) = (cpu_ops::ConstValues<T>(y, count) > T(0)).select(cpu_ops::ConstValues<T>(dy, count), T(0));
}

/// dx = dy * y * (1 - y): Sigmoid's derivative from its output y.
template <class T>
void sigmoid_backward(cpu_t<T>, const T* y, const T* dy, T* dx, Eigen::Index count) {
  const cpu_ops::ConstValues<T> out(y, count);
  cpu_ops::Values<T>(dx, count) = cpu_ops::ConstValues<T>(dy, count) * out * (T(1) - out);
}

/// Applies the derivative of `act` whose output is `y` to dx in place (none: nothing).
template <class T>
void activation_backward(cpu_t<T> backend, Activation act, const T* y, T* dx, Eigen::Index count) {
  if (act == Activation::relu) relu_backward(backend, y, dx, dx, count);
  if (act == Activation::sigmoid) sigmoid_backward(backend, y, dx, dx, count);
}

/// to = from, `count` values (Flatten and Unflatten: the layouts are identical).
template <class T>
void copy_values(cpu_t<T>, const T* from, T* to, Eigen::Index count) {
  if (from != to) std::copy(from, from + count, to);
}

/// Waits for the backend's queued work: the CPU has none.
template <class T>
void synchronize(cpu_t<T>) {}

}  // namespace dae
