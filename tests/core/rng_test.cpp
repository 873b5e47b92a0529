// dae/rng.hpp: Philox4x32-10 against the official known-answer vectors, the layout of the
// sequential stream over it, resuming from Rng::State, and the distributions built on top
// (below(), uniform(), normal(), and the input noise's float normal_at()). Everything random in dae
// (initialisation, splits, noise, k-means seeding) comes from here, so a silent change would move
// every result.
#include "dae/rng.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

using dae::Rng;

namespace {

/// One line of Random123's kat_vectors: counter (4 words), key (2 words), expected (4 words).
struct PhiloxKat {
  std::array<std::uint32_t, 4> counter;
  std::array<std::uint32_t, 2> key;
  std::array<std::uint32_t, 4> expected;
};

/// Verbatim from Random123 (https://github.com/DEShawResearch/random123), tests/kat_vectors,
/// the three "philox4x32 10" lines (name, rounds, CTR[4], KEY[2], EXPECTED[4]).
constexpr std::array<PhiloxKat, 3> kPhiloxKats{{
    {{0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u},
     {0x00000000u, 0x00000000u},
     {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
    {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
     {0xffffffffu, 0xffffffffu},
     {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
    {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
     {0xa4093822u, 0x299f31d0u},
     {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
}};

/// The block Rng(seed, stream) reads at 32-bit position 4*block: counter = (block, stream) as
/// little-endian 32-bit words, key = seed.
std::array<std::uint32_t, 4> block_of(std::uint64_t seed, std::uint64_t stream,
                                      std::uint64_t block) {
  return dae::philox4x32(
      {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
       static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
}

}  // namespace

TEST_CASE("philox4x32 matches the Random123 known-answer vectors", "[rng]") {
  for (const auto& kat : kPhiloxKats) {
    const auto out = dae::philox4x32(kat.counter, kat.key);
    for (int i = 0; i < 4; ++i) {
      INFO("counter[0] = " << kat.counter[0] << ", word " << i);
      CHECK(out[static_cast<std::size_t>(i)] == kat.expected[static_cast<std::size_t>(i)]);
    }
  }
}

TEST_CASE("Rng walks the Philox blocks of (seed, stream) in counter order", "[rng]") {
  // Seed and stream with bits in both halves, so a dropped high word would show.
  const std::uint64_t seed = 0x0123456789abcdefull, stream = 0xfedcba9876543210ull;
  Rng rng(seed, stream);
  for (std::uint64_t block = 0; block < 5; ++block) {
    const auto words = block_of(seed, stream, block);
    for (auto word : words) REQUIRE(rng.next_u32() == word);
  }
  CHECK(rng.state().position == 20);

  // next_u64 is two consecutive words, high word first.
  Rng a(7, 3), b(7, 3);
  const std::uint64_t hi = b.next_u32(), lo = b.next_u32();
  CHECK(a.next_u64() == ((hi << 32) | lo));

  // Different seeds and streams give different sequences.
  Rng s0(1, 0), s1(2, 0), t1(1, 1);
  const auto first = s0.next_u64();
  CHECK(first != s1.next_u64());
  CHECK(first != t1.next_u64());
}

TEST_CASE("Rng resumes exactly from its State, also mid-block and across a copy", "[rng]") {
  for (int consumed : {0, 1, 3, 4, 5, 17, 1000}) {
    Rng original(42, 9);
    for (int i = 0; i < consumed; ++i) (void)original.next_u32();
    const Rng::State saved = original.state();
    CHECK(saved.seed == 42);
    CHECK(saved.stream == 9);
    CHECK(saved.position == static_cast<std::uint64_t>(consumed));

    Rng resumed(saved);
    for (int i = 0; i < 50; ++i) {
      INFO("consumed " << consumed << ", draw " << i);
      REQUIRE(resumed.next_u32() == original.next_u32());
    }
    // Mixed draws stay in step too (normal() and below() consume whole words only).
    Rng a(original.state()), b(original.state());
    CHECK(a.normal() == b.normal());
    CHECK(a.below(1000) == b.below(1000));
    CHECK(a.uniform_double() == b.uniform_double());
    CHECK(a.state().position == b.state().position);
  }
}

TEST_CASE("uniform draws stay in [0, 1) and [low, high)", "[rng]") {
  CHECK(dae::uniform_float(0u) == 0.0f);
  CHECK(dae::uniform_float(0xffffffffu) < 1.0f);
  CHECK(dae::uniform_float(0xffffffffu) == 1.0f - 1.0f / 16777216.0f);
  Rng rng(3);
  double sum = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) {
    const float u = rng.uniform();
    REQUIRE(u >= 0.0f);
    REQUIRE(u < 1.0f);
    const double d = rng.uniform_double();
    REQUIRE(d >= 0.0);
    REQUIRE(d < 1.0);
    const float v = rng.uniform(-2.0f, 3.0f);
    REQUIRE(v >= -2.0f);
    REQUIRE(v < 3.0f);
    sum += d;
  }
  // Mean of U(0,1): 0.5 with standard error 1/sqrt(12 n) ~ 0.0009.
  CHECK(std::abs(sum / kDraws - 0.5) < 0.005);
}

TEST_CASE("below(bound) stays below the bound and is roughly uniform", "[rng]") {
  Rng rng(11, 2);
  for (int i = 0; i < 100; ++i) REQUIRE(rng.below(1) == 0);

  // A bound just above 2^63 rejects almost half of the 64-bit draws: exercises the loop.
  const std::uint64_t huge = (std::uint64_t{1} << 63) + 1;
  bool saw_upper_half = false;
  for (int i = 0; i < 1000; ++i) {
    const auto value = rng.below(huge);
    REQUIRE(value < huge);
    saw_upper_half = saw_upper_half || value >= (std::uint64_t{1} << 62);
  }
  CHECK(saw_upper_half);
  CHECK(rng.below(std::numeric_limits<std::uint64_t>::max()) <
        std::numeric_limits<std::uint64_t>::max());

  // Chi-square goodness of fit over 10 bins (a bound that is not a power of two): with 9 degrees
  // of freedom, P(chi2 > 33.7) < 1e-4, so a fair generator passes and a biased one (a modulo
  // or an off-by-one that never draws bound - 1) fails by far.
  constexpr std::uint64_t kBins = 10;
  constexpr int kDraws = 100000;
  std::array<int, kBins> counts{};
  for (int i = 0; i < kDraws; ++i) {
    const auto value = rng.below(kBins);
    REQUIRE(value < kBins);
    ++counts[value];
  }
  const double expected = static_cast<double>(kDraws) / kBins;
  double chi2 = 0;
  for (int count : counts) chi2 += (count - expected) * (count - expected) / expected;
  INFO("chi2 = " << chi2);
  CHECK(chi2 < 33.7);
}

TEST_CASE("normal() has mean 0, variance 1 and normal tails", "[rng]") {
  Rng rng(5, 1);
  constexpr int kDraws = 200000;
  double sum = 0, sum_sq = 0, sum_4 = 0;
  int beyond_two = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = rng.normal();
    REQUIRE(std::isfinite(x));
    sum += x;
    sum_sq += x * x;
    sum_4 += x * x * x * x;
    beyond_two += std::abs(x) > 2.0 ? 1 : 0;
  }
  CHECK(rng.state().position == 2u * kDraws);  // two words per draw, no hidden cache
  const double mean = sum / kDraws;
  const double variance = sum_sq / kDraws - mean * mean;
  // Standard errors: mean 1/sqrt(n) ~ 0.0022, variance sqrt(2/n) ~ 0.0032, fourth moment
  // sqrt(96/n) ~ 0.022, tail fraction sqrt(p(1-p)/n) ~ 0.00047. Bounds are about 5 of those.
  CHECK(std::abs(mean) < 0.012);
  CHECK(std::abs(variance - 1.0) < 0.016);
  CHECK(std::abs(sum_4 / kDraws - 3.0) < 0.12);
  CHECK(std::abs(static_cast<double>(beyond_two) / kDraws - 0.0455) < 0.0025);
}

TEST_CASE("normal_at(seed, stream, i) is element i % 4 of the float Box-Muller of block i / 4",
          "[rng]") {
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{0x9e3779b97f4a7c15ull}}) {
    for (const std::uint64_t stream :
         {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{1} << 40}) {
      // Near 0 and far away (block index above 2^32): the same definition.
      for (const std::uint64_t start : {std::uint64_t{0}, (std::uint64_t{1} << 34) - 8}) {
        for (std::uint64_t i = start; i < start + 64; ++i) {
          const auto words = block_of(seed, stream, i / 4);
          const unsigned lane = static_cast<unsigned>(i % 4);
          const auto pair = dae::box_muller_float(words[lane < 2 ? 0 : 2], words[lane < 2 ? 1 : 3]);
          INFO("seed " << seed << ", stream " << stream << ", index " << i);
          REQUIRE(dae::normal_at(seed, stream, i) == pair[lane % 2]);
        }
      }
    }
  }
}

TEST_CASE("the float Box-Muller is the double one within float rounding", "[rng]") {
  // Same u1 and angle fed to double-precision std::log, sqrt, cos, sin: dae's own series must
  // agree to a few float ulps of the radius (the largest is 5.77).
  Rng rng(11, 7);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t a = rng.next_u32(), b = rng.next_u32();
    const double u1 = (static_cast<double>(a >> 8) + 1.0) / 16777216.0;
    const double angle = 2.0 * std::numbers::pi * static_cast<double>(b >> 6) / 67108864.0;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const auto pair = dae::box_muller_float(a, b);
    worst = std::max({worst, std::abs(pair[0] - radius * std::cos(angle)),
                      std::abs(pair[1] - radius * std::sin(angle))});
  }
  INFO("largest difference " << worst);
  CHECK(worst < 2e-6);
}

TEST_CASE("normal_at has mean 0, variance 1 and the normal distribution function", "[rng]") {
  constexpr int kDraws = 1 << 20;
  std::vector<double> draws(kDraws);
  double sum = 0, sum_sq = 0, sum_4 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = dae::normal_at(3, 5, static_cast<std::uint64_t>(i));
    REQUIRE(std::isfinite(x));
    draws[static_cast<std::size_t>(i)] = x;
    sum += x;
    sum_sq += x * x;
    sum_4 += x * x * x * x;
  }
  const double mean = sum / kDraws;
  const double variance = sum_sq / kDraws - mean * mean;
  // Standard errors: mean 0.001, variance 0.0014, fourth moment 0.0096; bounds about 5 of those.
  CHECK(std::abs(mean) < 0.005);
  CHECK(std::abs(variance - 1.0) < 0.007);
  CHECK(std::abs(sum_4 / kDraws - 3.0) < 0.05);
  // Kolmogorov-Smirnov against Phi: D below 1.63 / sqrt(n) (the 1 % level) for a true normal.
  std::sort(draws.begin(), draws.end());
  double d = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double phi = 0.5 * std::erfc(-draws[static_cast<std::size_t>(i)] / std::numbers::sqrt2);
    d = std::max({d, std::abs(phi - static_cast<double>(i) / kDraws),
                  std::abs(phi - static_cast<double>(i + 1) / kDraws)});
  }
  INFO("KS distance " << d);
  CHECK(d < 1.63 / std::sqrt(static_cast<double>(kDraws)));
  // The tails: fractions beyond 2, 3 and 4 standard deviations, within 5 standard errors.
  for (const auto& [bound, expected] :
       {std::pair{2.0, 0.0455003}, std::pair{3.0, 0.0026998}, std::pair{4.0, 6.334e-5}}) {
    const auto beyond = std::count_if(draws.begin(), draws.end(),
                                      [b = bound](double x) { return std::abs(x) > b; });
    const double fraction = static_cast<double>(beyond) / kDraws;
    INFO("beyond " << bound << ": " << fraction << ", expected " << expected);
    CHECK(std::abs(fraction - expected) < 5 * std::sqrt(expected / kDraws));
  }
  // Neighbouring pixels are independent: the correlation of normals i and i + 1 (same or next
  // block, same or other Box-Muller pair) is within 5 standard errors of 0.
  double lag = 0;
  for (int i = 0; i + 1 < kDraws; ++i) {
    lag += dae::normal_at(3, 5, static_cast<std::uint64_t>(i)) *
           dae::normal_at(3, 5, static_cast<std::uint64_t>(i) + 1);
  }
  CHECK(std::abs(lag / kDraws) < 5 / std::sqrt(static_cast<double>(kDraws)));
}

TEST_CASE("box_muller maps its extreme inputs to finite values", "[rng]") {
  for (std::uint32_t a : {0u, 1u, 0x80000000u, 0xffffffffu}) {
    for (std::uint32_t b : {0u, 0x40000000u, 0xffffffffu}) {
      const auto pair = dae::box_muller(a, b);
      CHECK(std::isfinite(pair[0]));
      CHECK(std::isfinite(pair[1]));
    }
  }
  // a = 2^32 - 1 means u1 = 1, radius 0: both outputs are exactly zero.
  const auto zero = dae::box_muller(0xffffffffu, 12345u);
  CHECK(zero[0] == 0.0);
  CHECK(zero[1] == 0.0);
}

TEST_CASE("box_muller_float's extremes: radius 0, the largest radius, the four quadrant edges",
          "[rng]") {
  for (const std::uint32_t b : {0u, 12345u, 0x40000000u, 0x80000000u, 0xC0000000u, 0xffffffffu}) {
    const auto zero = dae::box_muller_float(0xffffffffu, b);  // u1 = 1
    CHECK(std::abs(zero[0]) == 0.0f);
    CHECK(std::abs(zero[1]) == 0.0f);
    const auto largest = dae::box_muller_float(0u, b);  // u1 = 2^-24
    CHECK(std::hypot(largest[0], largest[1]) ==
          Approx(std::sqrt(48 * std::log(2.0))).epsilon(1e-6));
  }
  // Angle 0, pi/2, pi, 3 pi/2 at the quadrant edges: (r, 0), (0, r), (-r, 0), (0, -r).
  const float r = dae::box_muller_float(0u, 0u)[0];
  CHECK(r > 5.7f);
  CHECK(dae::box_muller_float(0u, 0u)[1] == 0.0f);
  CHECK(dae::box_muller_float(0u, 0x40000000u)[0] == -0.0f);
  CHECK(dae::box_muller_float(0u, 0x40000000u)[1] == r);
  CHECK(dae::box_muller_float(0u, 0x80000000u)[0] == -r);
  CHECK(dae::box_muller_float(0u, 0xC0000000u)[1] == -r);
}
