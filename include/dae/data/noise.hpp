// The denoising input: clamp(x + level * N(0, 1), 0, 1) (one fused multiply-add), with the normal
// value of pixel p of image i drawn as normal_at(seed, stream, i * pixels + p), 32 values at a
// time with AVX2 (backend/cpu/normal_lanes.hpp). Noise is thus a function of the image's
// identity, not of its position in a batch: independent of batch size, shuffling, thread count and
// backend (the CUDA kernel calls the same normal_at), and reproducible after a resume.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "dae/backend/cpu/lanes.hpp"
#include "dae/backend/cpu/normal_lanes.hpp"
#include "dae/backend/cpu/parallel.hpp"
#include "dae/rng.hpp"
#include "dae/rounding.hpp"

namespace dae::data {

/// Noise streams: one per epoch for training, and separate ones for validation and pictures.
inline constexpr std::uint64_t kTrainNoiseStream = 0;
inline constexpr std::uint64_t kValidationNoiseStream = 1ull << 40;
inline constexpr std::uint64_t kPictureNoiseStream = 2ull << 40;

/// clamp(clean + level * z, 0, 1) with one rounding (a fused multiply-add): the formula of the CPU
/// and of the CUDA kernel (kernels/noise.cuh), which must agree bit for bit. Never NaN for finite
/// input, never -0 (clean >= +0), so the clamp means the same as the AVX2 min/max.
DAE_HOST_DEVICE inline float noisy_value(float clean, float level, float z) {
  const float value = fma_rn(level, z, clean);
  return value < 0.0f ? 0.0f : (value > 1.0f ? 1.0f : value);
}

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
  constexpr int kGroup = 4 * cpu_ops::kNormalBlocks;  // normals per normals_of_blocks call
  dae::detail::parallel_ranges(count, [&](Eigen::Index first, Eigen::Index last) {
    // The image's normals, from the first Philox block it touches: index base + p is at
    // normals[p + base % 4]. Whole groups of blocks are drawn; the extra values are never read.
    const std::size_t groups = (static_cast<std::size_t>(pixels) + 3 + kGroup - 1) / kGroup;
    float* normals = cpu_ops::scratch<float, 0>(groups * kGroup);
    for (Eigen::Index n = first; n < last; ++n) {
      const std::uint64_t base =
          static_cast<std::uint64_t>(image_ids[static_cast<std::size_t>(n)]) *
          static_cast<std::uint64_t>(pixels);
      for (std::size_t g = 0; g < groups; ++g) {
        cpu_ops::normals_of_blocks(seed, stream, base / 4 + g * cpu_ops::kNormalBlocks,
                                   normals + g * kGroup);
      }
      const float* z = normals + base % 4;
      const std::size_t offset = static_cast<std::size_t>(n) * static_cast<std::size_t>(pixels);
      const float* in = clean + offset;
      float* out = noisy + offset;
      int p = 0;
#if defined(__AVX2__) && defined(__FMA__)
      const __m256 level8 = _mm256_set1_ps(level), zero = _mm256_setzero_ps(),
                   one = _mm256_set1_ps(1.0f);
      for (; p + 8 <= pixels; p += 8) {
        const __m256 value =
            _mm256_fmadd_ps(level8, _mm256_loadu_ps(z + p), _mm256_loadu_ps(in + p));
        _mm256_storeu_ps(out + p, _mm256_min_ps(_mm256_max_ps(value, zero), one));
      }
#endif
      for (; p < pixels; ++p) out[p] = noisy_value(in[p], level, z[p]);
    }
  });
}

}  // namespace dae::data
