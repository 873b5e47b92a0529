// dae/rng.hpp: Philox4x32-10 against the official known-answer vectors, the layout of the
// sequential stream over it, resuming from Rng::State, and the distributions built on top
// (below(), uniform(), normal(), normal_at()). Everything random in dae (initialisation, splits,
// noise, k-means seeding) comes from here, so a silent change would move every result.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "dae/rng.hpp"

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
std::array<std::uint32_t, 4> block_of(std::uint64_t seed, std::uint64_t stream, std::uint64_t block) {
  return dae::philox4x32({static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
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
  CHECK(rng.below(std::numeric_limits<std::uint64_t>::max()) < std::numeric_limits<std::uint64_t>::max());

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

TEST_CASE("normal_at(seed, stream, i) is the i-th normal of the sequential definition", "[rng]") {
  // Sequential definition: read the words of Rng(seed, stream) in pairs; pair k gives the two
  // Box-Muller normals 2k and 2k+1. normal_at computes element i from its coordinates alone.
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{0x9e3779b97f4a7c15ull}}) {
    for (const std::uint64_t stream : {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{1} << 40}) {
      Rng rng(seed, stream);
      std::vector<float> sequential;
      for (int k = 0; k < 64; ++k) {
        const std::uint32_t a = rng.next_u32();
        const std::uint32_t b = rng.next_u32();
        const auto pair = dae::box_muller(a, b);
        sequential.push_back(static_cast<float>(pair[0]));
        sequential.push_back(static_cast<float>(pair[1]));
      }
      for (std::size_t i = 0; i < sequential.size(); ++i) {
        INFO("seed " << seed << ", stream " << stream << ", index " << i);
        REQUIRE(dae::normal_at(seed, stream, i) == sequential[i]);
      }
      // Random access far away (block index above 2^32) agrees with the same definition.
      const std::uint64_t far = (std::uint64_t{1} << 34) + 6;  // lane 2 of its block
      const auto words = block_of(seed, stream, far / 4);
      CHECK(dae::normal_at(seed, stream, far) == static_cast<float>(dae::box_muller(words[2], words[3])[0]));
      CHECK(dae::normal_at(seed, stream, far + 1) == static_cast<float>(dae::box_muller(words[2], words[3])[1]));
    }
  }
  // Rng::normal() is the even element at the current position: the same numbers, as doubles.
  Rng rng(8, 4);
  for (std::uint64_t k = 0; k < 16; ++k) {
    CHECK(static_cast<float>(rng.normal()) == dae::normal_at(8, 4, 2 * k));
  }
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
