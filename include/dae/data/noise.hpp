// The denoising input: clamp(x + level * N(0, 1), 0, 1), with the normal value of pixel p of image
// i drawn as normal_at(seed, stream, i * pixels + p). Noise is thus a function of the image's
// identity, not of its position in a batch: independent of batch size, shuffling, thread count and
// backend (the CUDA kernel calls the same normal_at), and reproducible after a resume.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "dae/backend/cpu/parallel.hpp"
#include "dae/rng.hpp"
#include "dae/rounding.hpp"

namespace dae::data {

/// Noise streams: one per epoch for training, and separate ones for validation and pictures.
inline constexpr std::uint64_t kTrainNoiseStream = 0;
inline constexpr std::uint64_t kValidationNoiseStream = 1ull << 40;
inline constexpr std::uint64_t kPictureNoiseStream = 2ull << 40;

/// noisy = clamp(clean + level * N(0,1), 0, 1) for `image_ids.size()` images of `pixels` values.
/// @param clean     (count, pixels) images in [0, 1]
/// @param noisy     (count, pixels) output; may alias `clean`
/// @param image_ids identity of each image (its index in the dataset)
/// @param pixels    values per image (784 for MNIST)
/// @param level     standard deviation of the noise before clamping (0.3 in the reference)
/// @param seed      the run's seed, the Philox key
/// @param stream    the noise stream (kTrainNoiseStream + epoch, kValidationNoiseStream, ...)
inline void add_noise(const float* clean, float* noisy, std::span<const std::int64_t> image_ids,
                      int pixels, float level, std::uint64_t seed, std::uint64_t stream) {
  const auto count = static_cast<Eigen::Index>(image_ids.size());
  const std::array<std::uint32_t, 2> key{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  dae::detail::parallel_ranges(count, [&](Eigen::Index first, Eigen::Index last) {
    for (Eigen::Index n = first; n < last; ++n) {
      const std::uint64_t base =
          static_cast<std::uint64_t>(image_ids[static_cast<std::size_t>(n)]) *
          static_cast<std::uint64_t>(pixels);
      const std::size_t offset = static_cast<std::size_t>(n) * static_cast<std::size_t>(pixels);
      // normal_at(seed, stream, i) uses Philox block i / 4 and the Box-Muller pair (i % 4) / 2 of
      // it: compute each block and each pair once for the pixels that share them (same values).
      float normals[4];
      std::uint64_t cached_block = ~std::uint64_t{0};
      for (int p = 0; p < pixels; ++p) {
        const std::uint64_t index = base + static_cast<std::uint64_t>(p);
        const std::uint64_t block = index / 4;
        if (block != cached_block) {
          const auto words = philox4x32({static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                                         static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                                        key);
          const unsigned lane = static_cast<unsigned>(index % 4);
          const unsigned last_lane = static_cast<unsigned>(std::min<std::uint64_t>(3, lane + (pixels - 1 - p)));
          for (unsigned pair = lane / 2; pair <= last_lane / 2; ++pair) {
            const auto values = box_muller(words[2 * pair], words[2 * pair + 1]);
            normals[2 * pair] = static_cast<float>(values[0]);
            normals[2 * pair + 1] = static_cast<float>(values[1]);
          }
          cached_block = block;
        }
        const float value = add_rn(clean[offset + static_cast<std::size_t>(p)], mul_rn(level, normals[index % 4]));
        noisy[offset + static_cast<std::size_t>(p)] = std::clamp(value, 0.0f, 1.0f);
      }
    }
  });
}

}  // namespace dae::data
