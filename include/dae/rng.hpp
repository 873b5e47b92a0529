// Random numbers that are the same on every compiler, platform and backend.
//
// Everything random in dae (initialisation, the train/validation split, shuffling, input noise,
// k-means seeding) comes from Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
// 1, 2, 3", SC 2011). Philox is counter-based: output block = f(key, counter), so a value can be
// computed from its coordinates alone. The input noise uses that directly (noise of pixel p of
// image i in epoch e), which makes it independent of batching, thread count and launch shape, and
// identical on a GPU. `Rng` wraps the same function as a sequential stream for everything else.
// Distributions are our own (std::*_distribution differ between standard libraries).
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "dae/host_device.hpp"
#include "dae/rounding.hpp"

namespace dae {

/// Philox4x32 with 10 rounds: maps a 128-bit counter and a 64-bit key to 128 random bits.
DAE_HOST_DEVICE inline std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> counter,
                                                                std::array<std::uint32_t, 2> key) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t product0 = std::uint64_t{kMul0} * counter[0];
    const std::uint64_t product1 = std::uint64_t{kMul1} * counter[2];
    const auto hi0 = static_cast<std::uint32_t>(product0 >> 32), lo0 = static_cast<std::uint32_t>(product0);
    const auto hi1 = static_cast<std::uint32_t>(product1 >> 32), lo1 = static_cast<std::uint32_t>(product1);
    counter = {hi1 ^ counter[1] ^ key[0], lo1, hi0 ^ counter[3] ^ key[1], lo0};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return counter;
}

/// A uniform float in [0, 1) from the top 24 bits of a random word (exactly representable).
DAE_HOST_DEVICE inline float uniform_float(std::uint32_t bits) {
  return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

/// Two independent standard normals from two random words (Box-Muller, in double): Rng::normal().
DAE_HOST_DEVICE inline std::array<double, 2> box_muller(std::uint32_t a, std::uint32_t b) {
  const double u1 = (static_cast<double>(a) + 1.0) * (1.0 / 4294967296.0);  // (0, 1]: log is finite
  const double u2 = static_cast<double>(b) * (1.0 / 4294967296.0);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

namespace detail {

/// The bits of a float and back (free on every target; std::bit_cast is not a device function).
DAE_HOST_DEVICE inline std::uint32_t float_bits(float value) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(value);
#else
  return std::bit_cast<std::uint32_t>(value);
#endif
}
DAE_HOST_DEVICE inline float float_from_bits(std::uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  return std::bit_cast<float>(bits);
#endif
}

// Coefficients of the float Box-Muller below. ln: 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), whose
// first omitted term is below 1e-9 for |s| <= 3 - 2 sqrt(2). sin and cos: Taylor series on
// [0, pi/2), first omitted terms below 7e-10.
inline constexpr float kLn2 = 0.693147180559945309f;
// (Scalars, not arrays: a constexpr array is not visible in CUDA device code.)
inline constexpr float kAtanh3 = 1.0f / 3, kAtanh5 = 1.0f / 5, kAtanh7 = 1.0f / 7,
                       kAtanh9 = 1.0f / 9;
inline constexpr float kSin3 = -1.0f / 6, kSin5 = 1.0f / 120, kSin7 = -1.0f / 5040,
                       kSin9 = 1.0f / 362880, kSin11 = -1.0f / 39916800, kSin13 = 1.0f / 6227020800;
inline constexpr float kCos2 = -1.0f / 2, kCos4 = 1.0f / 24, kCos6 = -1.0f / 720,
                       kCos8 = 1.0f / 40320, kCos10 = -1.0f / 3628800, kCos12 = 1.0f / 479001600,
                       kCos14 = -1.0f / 87178291200.0f;
// (pi / 2) / 2^24: a quadrant's 24-bit angle fraction to radians, one exact power-of-two scaling
// of the float nearest pi / 2.
inline constexpr float kQuadrantStep = 1.57079632679489662f / 16777216.0f;

/// ln(k / 2^24) for k in [1, 2^24], from float operations that round the same on every target.
DAE_HOST_DEVICE inline float log_of_unit(std::uint32_t k) {
  // k = 2^e m exactly; m is taken in [sqrt(1/2), sqrt(2)) so that |s| = |(m - 1) / (m + 1)| is
  // small.
  const std::uint32_t bits = float_bits(static_cast<float>(static_cast<std::int32_t>(k)));
  const std::uint32_t mantissa = bits & 0x7fffffu;
  const bool above_sqrt2 = mantissa > 0x3504f3u;
  const float m = float_from_bits(mantissa | (above_sqrt2 ? 0x3f000000u : 0x3f800000u));
  const int exponent = static_cast<int>(bits >> 23) - 127 - 24 + (above_sqrt2 ? 1 : 0);
  const float s = div_rn(add_rn(m, -1.0f), add_rn(m, 1.0f));
  const float s2 = mul_rn(s, s);
  const float series = fma_rn(fma_rn(fma_rn(s2, kAtanh9, kAtanh7), s2, kAtanh5), s2, kAtanh3);
  const float two_s = add_rn(s, s);
  const float log_m = fma_rn(mul_rn(two_s, s2), series, two_s);
  return fma_rn(static_cast<float>(exponent), kLn2, log_m);
}

}  // namespace detail

/// Two independent standard normals from two random words, in float: Box-Muller with
/// u1 = (a / 2^8 + 1) / 2^24 in (0, 1] and the angle 2 pi u2 taken from the top 26 bits of b (the
/// quadrant from the top 2). Every step is one IEEE operation (rounding.hpp) on values that are
/// exact where it matters, with dae's own log and sin/cos series: the scalar code, the AVX2 code
/// (backend/cpu/normal_lanes.hpp) and CUDA compute the same bits. The largest output is
/// sqrt(48 ln 2) = 5.77, the tails beyond it (probability 8e-9) are cut; the grid of 2^24 radii
/// and 2^26 angles is far finer than anything the input noise or its tests resolve.
DAE_HOST_DEVICE inline std::array<float, 2> box_muller_float(std::uint32_t a, std::uint32_t b) {
  const float radius = sqrt_rn(mul_rn(-2.0f, detail::log_of_unit((a >> 8) + 1u)));
  const float theta = mul_rn(static_cast<float>(static_cast<std::int32_t>((b >> 6) & 0xffffffu)),
                             detail::kQuadrantStep);
  const float theta2 = mul_rn(theta, theta);
  using namespace detail;
  float sin_series = fma_rn(theta2, kSin13, kSin11);
  sin_series =
      fma_rn(fma_rn(fma_rn(fma_rn(sin_series, theta2, kSin9), theta2, kSin7), theta2, kSin5),
             theta2, kSin3);
  const float sin_theta = fma_rn(mul_rn(theta, theta2), sin_series, theta);
  float cos_series = fma_rn(theta2, kCos14, kCos12);
  cos_series = fma_rn(
      fma_rn(fma_rn(fma_rn(fma_rn(cos_series, theta2, kCos10), theta2, kCos8), theta2, kCos6),
             theta2, kCos4),
      theta2, kCos2);
  const float cos_theta = fma_rn(theta2, cos_series, 1.0f);
  // angle = quadrant * pi/2 + theta: odd quadrants swap (cos, sin) -> (-sin, cos), quadrants 2
  // and 3 negate both.
  const std::uint32_t quadrant = b >> 30;
  float c = (quadrant & 1u) != 0 ? -sin_theta : cos_theta;
  float s = (quadrant & 1u) != 0 ? cos_theta : sin_theta;
  if ((quadrant & 2u) != 0) {
    c = -c;
    s = -s;
  }
  return {mul_rn(radius, c), mul_rn(radius, s)};
}

/// The standard normal at coordinates (stream, index) of key `seed`, computed without state: the
/// input noise's generator. Normal i is element i % 4 of the float Box-Muller normals of Philox
/// block i / 4 (words 0, 1 give elements 0, 1; words 2, 3 give 2, 3), so CPU (scalar or AVX2)
/// and GPU draw the same value for the same pixel.
DAE_HOST_DEVICE inline float normal_at(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const std::uint64_t block = index / 4;
  const auto words = philox4x32({static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                                 static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                                {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  const unsigned lane = static_cast<unsigned>(index % 4);
  return box_muller_float(words[lane & 2u], words[(lane & 2u) + 1])[lane & 1u];
}

/// A sequential random stream over Philox: (seed, stream) select the sequence, `position` is how
/// many 32-bit words were consumed. Its whole state is three integers, so it can be checkpointed.
class Rng {
 public:
  struct State {
    std::uint64_t seed = 0;
    std::uint64_t stream = 0;
    std::uint64_t position = 0;
  };

  explicit Rng(std::uint64_t seed = 0, std::uint64_t stream = 0) : state_{seed, stream, 0} {}
  explicit Rng(State state) : state_(state) {}

  [[nodiscard]] State state() const { return state_; }

  /// The next 32 random bits.
  std::uint32_t next_u32() {
    const std::uint64_t block = state_.position / 4;
    if (block != cached_block_ || !cache_valid_) {
      cached_ = philox4x32({static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                            static_cast<std::uint32_t>(state_.stream), static_cast<std::uint32_t>(state_.stream >> 32)},
                           {static_cast<std::uint32_t>(state_.seed), static_cast<std::uint32_t>(state_.seed >> 32)});
      cached_block_ = block;
      cache_valid_ = true;
    }
    return cached_[state_.position++ % 4];
  }

  std::uint64_t next_u64() {
    const std::uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }

  /// Uniform float in [0, 1).
  float uniform() { return uniform_float(next_u32()); }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform_double() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }

  /// Uniform float in [low, high).
  float uniform(float low, float high) { return low + (high - low) * uniform(); }

  /// Uniform integer in [0, bound), without modulo bias (rejection sampling). @pre bound > 0
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t value;
    do {
      value = next_u64();
    } while (value >= limit);
    return value % bound;
  }

  /// Standard normal (Box-Muller; each call consumes two words and keeps no hidden cache, so the
  /// stream position alone is the state).
  double normal() {
    const std::uint32_t a = next_u32();
    const std::uint32_t b = next_u32();
    return box_muller(a, b)[0];
  }

 private:
  State state_;
  std::array<std::uint32_t, 4> cached_{};
  std::uint64_t cached_block_ = 0;
  bool cache_valid_ = false;
};

}  // namespace dae
