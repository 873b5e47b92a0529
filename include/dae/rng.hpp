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
#include <cmath>
#include <cstdint>
#include <numbers>

#include "dae/host_device.hpp"

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

/// Two independent standard normals from two random words (Box-Muller, in double).
DAE_HOST_DEVICE inline std::array<double, 2> box_muller(std::uint32_t a, std::uint32_t b) {
  const double u1 = (static_cast<double>(a) + 1.0) * (1.0 / 4294967296.0);  // (0, 1]: log is finite
  const double u2 = static_cast<double>(b) * (1.0 / 4294967296.0);
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

/// The standard normal at coordinates (stream, index) of key `seed`, computed without state:
/// the building block of the input noise, so CPU and GPU draw the same value for the same pixel.
DAE_HOST_DEVICE inline float normal_at(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const std::uint64_t block = index / 4;
  const auto words = philox4x32({static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                                 static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                                {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  const unsigned lane = static_cast<unsigned>(index % 4);
  const auto pair = box_muller(words[lane & 2u], words[(lane & 2u) + 1]);
  return static_cast<float>(pair[lane & 1u]);
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
