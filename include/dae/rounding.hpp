// Explicitly rounded arithmetic that computes the same IEEE operations on the host and on a GPU,
// for the computations whose CPU and CUDA results dae promises to be bit-identical (Adam's
// update, the input noise, BatchNorm's affine step, k-means' squared distances and shifts).
//
// Why it is needed: a compiler may contract `a * b + c` into one fused multiply-add, which rounds
// once instead of twice. g++ does so by default (-ffp-contract=fast) wherever the target has FMA
// (our -march=x86-64-v3), nvcc does so in device code, and neither happens where the flags
// differ: so the same source line rounds differently in a .cpp file, in the host pass of a .cu
// file and on the device. Each function here is one rounding, never contracted: on the device
// the __*_rn intrinsics (documented never to be contracted), on the host an operation whose
// result passes through an empty asm the optimiser cannot see through. fma_rn is the fused
// operation everywhere (std::fma / __fma_rn).
#pragma once

#include <cmath>

#include "dae/host_device.hpp"

namespace dae {

namespace detail {
/// `value`, unknown to the optimiser: it cannot fuse the operation that produced it with the next.
template <class T>
inline T opaque(T value) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  asm("" : "+x"(value));
#else
  volatile T copy = value;
  value = copy;
#endif
  return value;
}
}  // namespace detail

#if defined(__CUDA_ARCH__)
DAE_HOST_DEVICE inline float add_rn(float a, float b) { return __fadd_rn(a, b); }
DAE_HOST_DEVICE inline float mul_rn(float a, float b) { return __fmul_rn(a, b); }
DAE_HOST_DEVICE inline float div_rn(float a, float b) { return __fdiv_rn(a, b); }
DAE_HOST_DEVICE inline float sqrt_rn(float a) { return __fsqrt_rn(a); }
DAE_HOST_DEVICE inline float fma_rn(float a, float b, float c) {
  return __fmaf_rn(a, b, c);
}
DAE_HOST_DEVICE inline double add_rn(double a, double b) { return __dadd_rn(a, b); }
DAE_HOST_DEVICE inline double mul_rn(double a, double b) { return __dmul_rn(a, b); }
DAE_HOST_DEVICE inline double fma_rn(double a, double b, double c) { return __fma_rn(a, b, c); }
#else
DAE_HOST_DEVICE inline float add_rn(float a, float b) { return detail::opaque(a + b); }
DAE_HOST_DEVICE inline float mul_rn(float a, float b) { return detail::opaque(a * b); }
DAE_HOST_DEVICE inline float div_rn(float a, float b) { return detail::opaque(a / b); }
DAE_HOST_DEVICE inline float sqrt_rn(float a) { return detail::opaque(std::sqrt(a)); }
DAE_HOST_DEVICE inline float fma_rn(float a, float b, float c) {
  return detail::opaque(std::fma(a, b, c));
}
DAE_HOST_DEVICE inline double add_rn(double a, double b) { return detail::opaque(a + b); }
DAE_HOST_DEVICE inline double mul_rn(double a, double b) { return detail::opaque(a * b); }
DAE_HOST_DEVICE inline double fma_rn(double a, double b, double c) { return detail::opaque(std::fma(a, b, c)); }
#endif

}  // namespace dae
