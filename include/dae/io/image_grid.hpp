// Tiling of small float images (MNIST digits, reconstructions, generated samples) into one
// picture a person can look at: a rows x cols grid, each image scaled up by an integer factor
// (nearest neighbour, so pixels stay crisp), separated by a gap of constant gray.
//
// Input is a batch of `count` images of height x width floats in [0,1], batch-major as the
// library stores them; values outside [0,1] are clamped and NaN shows as 0 (black), so a broken
// model still gives a picture rather than an exception. The result is an 8-bit gray Image for
// png.hpp. Cells beyond `count` are left at the gap colour.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dae/error.hpp"
#include "dae/io/png.hpp"

namespace dae::io {

/// Layout of an image grid.
struct GridOptions {
  int rows = 1;                  ///< grid rows
  int cols = 1;                  ///< grid columns
  int scale = 1;                 ///< integer upscale factor (each pixel becomes scale x scale)
  int gap = 0;                   ///< pixels between cells and around the border
  std::uint8_t gap_value = 128;  ///< gray level of the gap
};

/// Converts a float in [0,1] to a byte, clamping and mapping NaN to 0.
/// @param v the value.
/// @return round(255 v) clamped to 0..255.
inline std::uint8_t to_byte(float v) {
  if (!(v > 0.0f)) return 0;  // also NaN
  if (v >= 1.0f) return 255;
  return static_cast<std::uint8_t>(std::lround(v * 255.0f));
}

/// Tiles images row by row (image i goes to row i / cols, column i % cols).
/// @param images count x height x width floats, batch-major, values in [0,1].
/// @param count number of images, 0 <= count <= rows x cols.
/// @param height, width image size in pixels, > 0.
/// @param options grid rows/cols (> 0), scale (> 0), gap (>= 0) and gap colour.
/// @return a gray image of (cols (width scale + gap) + gap) x (rows (height scale + gap) + gap).
/// @throws dae::Error when a size is invalid or images.size() != count x height x width.
inline Image tile_images(std::span<const float> images, int count, int height, int width,
                         const GridOptions& options) {
  if (height <= 0 || width <= 0 || options.rows <= 0 || options.cols <= 0 || options.scale <= 0 ||
      options.gap < 0 || count < 0 || count > options.rows * options.cols) {
    throw Error("image grid: invalid layout (" + std::to_string(count) + " images into " +
                std::to_string(options.rows) + "x" + std::to_string(options.cols) + ")");
  }
  const std::size_t per = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  if (images.size() != per * static_cast<std::size_t>(count)) {
    throw Error("image grid: " + std::to_string(images.size()) + " values for " +
                std::to_string(count) + " images of " + std::to_string(height) + "x" +
                std::to_string(width));
  }
  const int cw = width * options.scale, ch = height * options.scale;
  Image out = Image::filled(options.cols * (cw + options.gap) + options.gap,
                            options.rows * (ch + options.gap) + options.gap, 1, options.gap_value);
  for (int i = 0; i < count; ++i) {
    const int x0 = options.gap + (i % options.cols) * (cw + options.gap);
    const int y0 = options.gap + (i / options.cols) * (ch + options.gap);
    const float* img = images.data() + per * static_cast<std::size_t>(i);
    for (int y = 0; y < ch; ++y) {
      const float* src = img + static_cast<std::size_t>(y / options.scale) * width;
      std::uint8_t* dst = out.at(x0, y0 + y);
      for (int x = 0; x < cw; ++x) dst[x] = to_byte(src[x / options.scale]);
    }
  }
  return out;
}

}  // namespace dae::io
