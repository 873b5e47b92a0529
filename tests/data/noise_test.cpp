// dae/data/noise.hpp and backend/cpu/normal_lanes.hpp: the input noise computed 32 normals at a
// time (AVX2 where the build has it) is, bit for bit, the per-pixel definition
// noisy_value(clean, level, normal_at(seed, stream, id * pixels + p)) that the CUDA kernel
// computes too; for any pixel count (blocks shared between images), image ids whose Philox block
// index crosses 2^32, in place, and for any thread count. The distribution itself is tested on
// normal_at in tests/core/rng_test.cpp.
#include "dae/data/noise.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "dae/backend/cpu/parallel.hpp"
#include "dae/rng.hpp"

namespace {

std::vector<float> per_pixel(const std::vector<float>& clean, const std::vector<std::int64_t>& ids,
                             int pixels, float level, std::uint64_t seed, std::uint64_t stream) {
  std::vector<float> out(clean.size());
  for (std::size_t n = 0; n < ids.size(); ++n) {
    for (int p = 0; p < pixels; ++p) {
      const std::size_t at = n * static_cast<std::size_t>(pixels) + static_cast<std::size_t>(p);
      const std::uint64_t index =
          static_cast<std::uint64_t>(ids[n]) * static_cast<std::uint64_t>(pixels) +
          static_cast<std::uint64_t>(p);
      out[at] = dae::data::noisy_value(clean[at], level, dae::normal_at(seed, stream, index));
    }
  }
  return out;
}

std::vector<float> uniform_images(std::size_t values, std::uint64_t seed) {
  dae::Rng rng(seed, 0);
  std::vector<float> clean(values);
  for (float& v : clean) v = rng.uniform();
  return clean;
}

}  // namespace

TEST_CASE("normals_of_blocks is normal_at, also across a 2^32 block boundary", "[noise]") {
  for (const std::uint64_t first_block :
       {std::uint64_t{0}, std::uint64_t{5}, (std::uint64_t{1} << 32) - 3}) {
    float normals[4 * dae::cpu_ops::kNormalBlocks];
    dae::cpu_ops::normals_of_blocks(0x1234567890ull, 1ull << 40, first_block, normals);
    for (int i = 0; i < 4 * dae::cpu_ops::kNormalBlocks; ++i) {
      INFO("block " << first_block << ", element " << i);
      REQUIRE(normals[i] == dae::normal_at(0x1234567890ull, 1ull << 40,
                                           4 * first_block + static_cast<std::uint64_t>(i)));
    }
  }
}

TEST_CASE("add_noise is the per-pixel definition for any pixel count and image id", "[noise]") {
  // 21913098 * 784 / 4 is just below 2^32: that image's blocks cross into the high word.
  const std::vector<std::int64_t> ids = {0, 1, 7, 47999, 21913098, 21913099, 123456789};
  for (const int pixels : {784, 1, 3, 5, 37, 100}) {
    const auto clean = uniform_images(ids.size() * static_cast<std::size_t>(pixels), 9);
    std::vector<float> noisy(clean.size());
    dae::data::add_noise(clean.data(), noisy.data(), ids, pixels, 0.3f, 77,
                         dae::data::kTrainNoiseStream + 2);
    INFO(pixels << " pixels");
    CHECK(noisy == per_pixel(clean, ids, pixels, 0.3f, 77, dae::data::kTrainNoiseStream + 2));
    for (const float v : noisy) REQUIRE((v >= 0.0f && v <= 1.0f));
  }
}

TEST_CASE("add_noise in place, and with one or two threads, gives the same images", "[noise]") {
  std::vector<std::int64_t> ids(300);
  for (std::size_t i = 0; i < ids.size(); ++i)
    ids[i] = static_cast<std::int64_t>((i * 7919) % 60000);
  const auto clean = uniform_images(ids.size() * 784, 4);
  const auto expected = per_pixel(clean, ids, 784, 0.5f, 3, dae::data::kValidationNoiseStream);
  const int threads = dae::threads();
  for (const int t : {1, 2}) {
    dae::set_threads(t);
    std::vector<float> in_place = clean;
    dae::data::add_noise(in_place.data(), in_place.data(), ids, 784, 0.5f, 3,
                         dae::data::kValidationNoiseStream);
    INFO(t << " threads");
    CHECK(in_place == expected);
  }
  dae::set_threads(threads);
}
