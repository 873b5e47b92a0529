// The CPU backend's "lane" layout: a block of L samples (L = the SIMD width, 8 floats with AVX2)
// stored with the sample index innermost, so that element i of the block is one SIMD packet whose
// lane l holds element i of sample l. In that layout every per-element operation of a layer is
// plain vector arithmetic, whatever the stride or padding of a convolution: the kernels in
// direct_conv.hpp never gather, never branch on borders and never shuffle.
//
// Each sample is computed in its own lane by the same instruction sequence, so a sample's result
// does not depend on which block (or thread) it lands in; tails of the batch fill the missing
// lanes with zeros, which contribute nothing to any sum.
//
// Also here: per-thread scratch buffers (sized on first use, then reused: no allocation in a
// training loop), and the transposes between batch-major tensors and lane blocks.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace dae::cpu_ops {

/// The SIMD packet Eigen uses for T on this target, and its width.
template <class T>
struct Simd {
  using Packet = typename Eigen::internal::packet_traits<T>::type;
  static constexpr int lanes = Eigen::internal::unpacket_traits<Packet>::size;
  static Packet load(const T* p) { return Eigen::internal::ploadu<Packet>(p); }
  static void store(T* p, const Packet& v) { Eigen::internal::pstoreu(p, v); }
  static Packet broadcast(T v) { return Eigen::internal::pset1<Packet>(v); }
  static Packet zero() { return Eigen::internal::pset1<Packet>(T(0)); }
  /// a * b + c (one fused multiply-add where the target has FMA)
  static Packet madd(const Packet& a, const Packet& b, const Packet& c) { return Eigen::internal::pmadd(a, b, c); }
  static Packet add(const Packet& a, const Packet& b) { return Eigen::internal::padd(a, b); }
  static Packet mul(const Packet& a, const Packet& b) { return Eigen::internal::pmul(a, b); }
  static Packet max(const Packet& a, const Packet& b) { return Eigen::internal::pmax(a, b); }
  /// Sum of the lanes, in a fixed order.
  static T sum(const Packet& v) { return Eigen::internal::predux(v); }
};

/// Per-thread scratch: buffer `slot` of this thread, at least `count` scalars, contents
/// unspecified. Grows, never shrinks, so steady-state calls do not allocate.
template <class T, int Slot>
T* scratch(std::size_t count) {
  thread_local std::vector<T, Eigen::aligned_allocator<T>> buffer;
  if (buffer.size() < count) buffer.resize(count);
  return buffer.data();
}

/// The largest divisor of n that is at most limit (register-block sizes for any shape).
constexpr int largest_divisor_at_most(int n, int limit) {
  for (int d = limit; d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

/// dst[i * L + l] = src[(first + l) * stride + i] for i < Size, l < count; lanes l >= count are 0.
template <int Size, class T>
void to_lanes(const T* src, Eigen::Index first, int count, Eigen::Index stride, T* dst) {
  constexpr int L = Simd<T>::lanes;
  for (int l = 0; l < count; ++l) {
    const T* s = src + (first + l) * stride;
    for (int i = 0; i < Size; ++i) dst[i * L + l] = s[i];
  }
  for (int l = count; l < L; ++l)
    for (int i = 0; i < Size; ++i) dst[i * L + l] = T(0);
}

/// dst[(first + l) * stride + i] = src[i * L + l] for i < Size, l < count.
template <int Size, class T>
void from_lanes(const T* src, int count, Eigen::Index first, Eigen::Index stride, T* dst) {
  constexpr int L = Simd<T>::lanes;
  for (int l = 0; l < count; ++l) {
    T* d = dst + (first + l) * stride;
    for (int i = 0; i < Size; ++i) d[i] = src[i * L + l];
  }
}

}  // namespace dae::cpu_ops
