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
#include <type_traits>
#include <vector>

#if defined(__AVX__)
#include <immintrin.h>
#endif

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

namespace lanes_detail {

#if defined(__AVX__)
/// out[i][l] = in[l][i] for an 8x8 block of floats (AVX).
inline void transpose8(const float* const* in, float* const* out) {
  const __m256 r0 = _mm256_loadu_ps(in[0]), r1 = _mm256_loadu_ps(in[1]);
  const __m256 r2 = _mm256_loadu_ps(in[2]), r3 = _mm256_loadu_ps(in[3]);
  const __m256 r4 = _mm256_loadu_ps(in[4]), r5 = _mm256_loadu_ps(in[5]);
  const __m256 r6 = _mm256_loadu_ps(in[6]), r7 = _mm256_loadu_ps(in[7]);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(out[0], _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(out[1], _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(out[2], _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(out[3], _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(out[4], _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(out[5], _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(out[6], _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(out[7], _mm256_permute2f128_ps(u3, u7, 0x31));
}
inline constexpr bool kHaveTranspose8 = true;
#else
/// out[i][l] = in[l][i] for an 8x8 block of floats (portable; unused where AVX is available).
inline void transpose8(const float* const* in, float* const* out) {
  for (int i = 0; i < 8; ++i)
    for (int l = 0; l < 8; ++l) out[i][l] = in[l][i];
}
inline constexpr bool kHaveTranspose8 = false;
#endif

}  // namespace lanes_detail

/// Interleaves L rows of n scalars (one per sample, rows[l], l < count; missing rows read as 0)
/// into dst[i * dst_stride_packets * L + l], i < n: element i of every sample into one packet.
template <class T>
void interleave_rows(const T* const* rows, int count, int n, T* dst, int dst_stride_packets = 1) {
  constexpr int L = Simd<T>::lanes;
  const Eigen::Index step = Eigen::Index{dst_stride_packets} * L;
  int i = 0;
  if constexpr (std::is_same_v<T, float> && L == 8 && lanes_detail::kHaveTranspose8) {
    if (count == L) {
      for (; i + 8 <= n; i += 8) {
        const float* in[8];
        float* out[8];
        for (int k = 0; k < 8; ++k) {
          in[k] = rows[k] + i;
          out[k] = dst + (i + k) * step;
        }
        lanes_detail::transpose8(in, out);
      }
    }
  }
  for (int l = 0; l < count; ++l)
    for (int k = i; k < n; ++k) dst[k * step + l] = rows[l][k];
  for (int l = count; l < L; ++l)
    for (int k = i; k < n; ++k) dst[k * step + l] = T(0);
}

/// The inverse: rows[l][i] = src[i * L + l] for i < n, l < count.
template <class T>
void deinterleave_rows(const T* src, int count, int n, T* const* rows) {
  constexpr int L = Simd<T>::lanes;
  int i = 0;
  if constexpr (std::is_same_v<T, float> && L == 8 && lanes_detail::kHaveTranspose8) {
    if (count == L) {
      for (; i + 8 <= n; i += 8) {
        const float* in[8];
        float* out[8];
        for (int k = 0; k < 8; ++k) {
          in[k] = src + (i + k) * L;
          out[k] = rows[k] + i;
        }
        lanes_detail::transpose8(in, out);
      }
    }
  }
  for (int l = 0; l < count; ++l)
    for (int k = i; k < n; ++k) rows[l][k] = src[k * L + l];
}

/// dst[i * L + l] = src[(first + l) * stride + i] for i < Size, l < count; lanes l >= count are 0.
template <int Size, class T>
void to_lanes(const T* src, Eigen::Index first, int count, Eigen::Index stride, T* dst) {
  constexpr int L = Simd<T>::lanes;
  const T* rows[L];
  for (int l = 0; l < count; ++l) rows[l] = src + (first + l) * stride;
  interleave_rows(rows, count, Size, dst);
}

/// dst[(first + l) * stride + i] = src[i * L + l] for i < Size, l < count.
template <int Size, class T>
void from_lanes(const T* src, int count, Eigen::Index first, Eigen::Index stride, T* dst) {
  constexpr int L = Simd<T>::lanes;
  T* rows[L];
  for (int l = 0; l < count; ++l) rows[l] = dst + (first + l) * stride;
  deinterleave_rows(src, count, Size, rows);
}

}  // namespace dae::cpu_ops
