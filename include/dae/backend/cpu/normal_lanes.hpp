// The input noise's normals, 32 at a time with AVX2: eight Philox4x32-10 blocks side by side in
// the lanes of four registers, then the float Box-Muller of rng.hpp on eight word pairs at once.
// Each step is the same IEEE operation as in dae::box_muller_float (a multiply-add is an explicit
// FMA on both sides, no product feeds an addition the compiler could fuse), so the values are
// dae::normal_at's bit for bit: tests/data/noise_test.cpp holds the two to each other. The
// scalar normal_at costs a double log, sqrt, sin and cos per pair and took about a quarter of a
// training epoch; this takes a few percent of it.
//
// Without AVX2 and FMA (a downstream build without -march), normals_of_blocks computes the same
// values block by block through normal_at's scalar code.
#pragma once

#include <array>
#include <cstdint>

#include "dae/rng.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace dae::cpu_ops {

/// Normals of Philox blocks per call of normals_of_blocks.
inline constexpr int kNormalBlocks = 8;

#if defined(__AVX2__) && defined(__FMA__)
namespace normal_lanes_detail {

/// The high 32 bits of a * b for each 32-bit lane (b is the same in every lane).
inline __m256i mul_hi(__m256i a, __m256i b) {
  const __m256i even = _mm256_mul_epu32(a, b);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), b);
  return _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

/// The low 32 bits of a * b for each 32-bit lane (b is the same in every lane).
inline __m256i mul_lo(__m256i a, __m256i b) {
  const __m256i even = _mm256_mul_epu32(a, b);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), b);
  return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

/// dae::philox4x32 of eight counters (lane l of c0..c3 is counter l) under one key.
inline void philox4x32_lanes(__m256i (&c)[4], std::array<std::uint32_t, 2> key) {
  const __m256i mul0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i mul1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  __m256i key0 = _mm256_set1_epi32(static_cast<int>(key[0]));
  __m256i key1 = _mm256_set1_epi32(static_cast<int>(key[1]));
  const __m256i weyl0 = _mm256_set1_epi32(static_cast<int>(0x9E3779B9u));
  const __m256i weyl1 = _mm256_set1_epi32(static_cast<int>(0xBB67AE85u));
  for (int round = 0; round < 10; ++round) {
    const __m256i hi0 = mul_hi(c[0], mul0), lo0 = mul_lo(c[0], mul0);
    const __m256i hi1 = mul_hi(c[2], mul1), lo1 = mul_lo(c[2], mul1);
    c[0] = _mm256_xor_si256(_mm256_xor_si256(hi1, c[1]), key0);
    c[1] = lo1;
    c[2] = _mm256_xor_si256(_mm256_xor_si256(hi0, c[3]), key1);
    c[3] = lo0;
    key0 = _mm256_add_epi32(key0, weyl0);
    key1 = _mm256_add_epi32(key1, weyl1);
  }
}

/// fma(fma(x, a, b), x, c) and so on: the Horner steps of rng.hpp's series, coefficient by
/// coefficient.
inline __m256 horner(__m256 series, __m256 x, float coefficient) {
  return _mm256_fmadd_ps(series, x, _mm256_set1_ps(coefficient));
}

/// dae::detail::log_of_unit of eight k, the same operations in the same order.
inline __m256 log_of_unit(__m256i k) {
  const __m256i bits = _mm256_castps_si256(_mm256_cvtepi32_ps(k));
  const __m256i mantissa = _mm256_and_si256(bits, _mm256_set1_epi32(0x7fffff));
  const __m256i above_sqrt2 = _mm256_cmpgt_epi32(mantissa, _mm256_set1_epi32(0x3504f3));  // -1 or 0
  const __m256i top =
      _mm256_blendv_epi8(_mm256_set1_epi32(0x3f800000), _mm256_set1_epi32(0x3f000000), above_sqrt2);
  const __m256 m = _mm256_castsi256_ps(_mm256_or_si256(mantissa, top));
  const __m256i exponent = _mm256_sub_epi32(
      _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127 + 24)), above_sqrt2);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 s = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
  const __m256 s2 = _mm256_mul_ps(s, s);
  using namespace dae::detail;
  const __m256 series =
      horner(horner(horner(_mm256_set1_ps(kAtanh9), s2, kAtanh7), s2, kAtanh5), s2, kAtanh3);
  const __m256 two_s = _mm256_add_ps(s, s);
  const __m256 log_m = _mm256_fmadd_ps(_mm256_mul_ps(two_s, s2), series, two_s);
  return _mm256_fmadd_ps(_mm256_cvtepi32_ps(exponent), _mm256_set1_ps(kLn2), log_m);
}

/// dae::box_muller_float of eight word pairs (a, b): the two normals of each pair.
inline void box_muller_lanes(__m256i a, __m256i b, __m256& first, __m256& second) {
  const __m256i k = _mm256_add_epi32(_mm256_srli_epi32(a, 8), _mm256_set1_epi32(1));
  const __m256 radius = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), log_of_unit(k)));
  const __m256i fraction = _mm256_and_si256(_mm256_srli_epi32(b, 6), _mm256_set1_epi32(0xffffff));
  const __m256 theta =
      _mm256_mul_ps(_mm256_cvtepi32_ps(fraction), _mm256_set1_ps(dae::detail::kQuadrantStep));
  const __m256 theta2 = _mm256_mul_ps(theta, theta);
  using namespace dae::detail;
  const __m256 sin_series =
      horner(horner(horner(horner(horner(_mm256_set1_ps(kSin13), theta2, kSin11), theta2, kSin9),
                           theta2, kSin7),
                    theta2, kSin5),
             theta2, kSin3);
  const __m256 sin_theta = _mm256_fmadd_ps(_mm256_mul_ps(theta, theta2), sin_series, theta);
  const __m256 cos_series = horner(
      horner(horner(horner(horner(horner(_mm256_set1_ps(kCos14), theta2, kCos12), theta2, kCos10),
                           theta2, kCos8),
                    theta2, kCos6),
             theta2, kCos4),
      theta2, kCos2);
  const __m256 cos_theta = _mm256_fmadd_ps(theta2, cos_series, _mm256_set1_ps(1.0f));
  const __m256i quadrant = _mm256_srli_epi32(b, 30);
  const __m256 odd = _mm256_castsi256_ps(
      _mm256_cmpeq_epi32(_mm256_and_si256(quadrant, _mm256_set1_epi32(1)), _mm256_set1_epi32(1)));
  const __m256 sign = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_srli_epi32(quadrant, 1), 31));
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 c = _mm256_blendv_ps(cos_theta, _mm256_xor_ps(sin_theta, sign_bit), odd);
  const __m256 s = _mm256_blendv_ps(sin_theta, cos_theta, odd);
  first = _mm256_mul_ps(radius, _mm256_xor_ps(c, sign));
  second = _mm256_mul_ps(radius, _mm256_xor_ps(s, sign));
}

}  // namespace normal_lanes_detail
#endif

/// out[i] = normal_at(seed, stream, 4 * first_block + i) for i in [0, 4 * kNormalBlocks).
inline void normals_of_blocks(std::uint64_t seed, std::uint64_t stream, std::uint64_t first_block,
                              float* out) {
#if defined(__AVX2__) && defined(__FMA__)
  using namespace normal_lanes_detail;
  alignas(32) std::uint32_t low[kNormalBlocks], high[kNormalBlocks];
  for (int l = 0; l < kNormalBlocks; ++l) {
    const std::uint64_t block = first_block + static_cast<std::uint64_t>(l);
    low[l] = static_cast<std::uint32_t>(block);
    high[l] = static_cast<std::uint32_t>(block >> 32);
  }
  __m256i c[4] = {_mm256_load_si256(reinterpret_cast<const __m256i*>(low)),
                  _mm256_load_si256(reinterpret_cast<const __m256i*>(high)),
                  _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream))),
                  _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(stream >> 32)))};
  philox4x32_lanes(c, {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  __m256 z0, z1, z2, z3;  // element 0..3 of each block, block l in lane l
  box_muller_lanes(c[0], c[1], z0, z1);
  box_muller_lanes(c[2], c[3], z2, z3);
  // Interleave to index order: out[4 l + e] = z_e[l].
  const __m256 a = _mm256_unpacklo_ps(z0, z1),
               b = _mm256_unpackhi_ps(z0, z1);  // pairs of blocks 0,1,4,5 / 2,3,6,7
  const __m256 d = _mm256_unpacklo_ps(z2, z3), e = _mm256_unpackhi_ps(z2, z3);
  const __m256 blocks04 =
      _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(a), _mm256_castps_pd(d)));
  const __m256 blocks15 =
      _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(a), _mm256_castps_pd(d)));
  const __m256 blocks26 =
      _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(b), _mm256_castps_pd(e)));
  const __m256 blocks37 =
      _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(b), _mm256_castps_pd(e)));
  _mm256_storeu_ps(out, _mm256_permute2f128_ps(blocks04, blocks15, 0x20));
  _mm256_storeu_ps(out + 8, _mm256_permute2f128_ps(blocks26, blocks37, 0x20));
  _mm256_storeu_ps(out + 16, _mm256_permute2f128_ps(blocks04, blocks15, 0x31));
  _mm256_storeu_ps(out + 24, _mm256_permute2f128_ps(blocks26, blocks37, 0x31));
#else
  for (int l = 0; l < kNormalBlocks; ++l) {
    const std::uint64_t block = first_block + static_cast<std::uint64_t>(l);
    const auto words =
        philox4x32({static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                    static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                   {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
    const auto first = box_muller_float(words[0], words[1]);
    const auto second = box_muller_float(words[2], words[3]);
    out[4 * l] = first[0];
    out[4 * l + 1] = first[1];
    out[4 * l + 2] = second[0];
    out[4 * l + 3] = second[1];
  }
#endif
}

}  // namespace dae::cpu_ops
