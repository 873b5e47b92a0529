// PNG writing for 8-bit grayscale and RGB images: the pictures dae_mnist produces (reconstructions,
// generated digits, charts).
//
// The encoder is stb_image_write (Sean Barrett's public-domain single-file library, Debian's
// libstb-dev). Its implementation is *not* compiled from this header: Debian ships it compiled in
// libstb (libstb.so, pkg-config module `stb`), and dae::dae links that library, so this header
// includes only stb's declarations and no translation unit of ours or of the user's defines
// STB_IMAGE_WRITE_IMPLEMENTATION. That keeps png.hpp an ordinary header (no static copy of the
// encoder, and none of its unused-function warnings, in every file that includes it) and gives one
// encoder per program. A user who builds without CMake adds `pkg-config --cflags --libs stb`
// (-I/usr/include/stb -lstb). stb picks each row's filter by its own heuristic and compresses with
// its own deflate; its output is a plain function of the pixels, so the bytes are deterministic.
// We encode to memory and write the file atomically ourselves (write_file_atomic), so a failure
// leaves the previous file and is a dae::Error naming the path.
#pragma once

#include <stb_image_write.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "dae/error.hpp"
#include "dae/io/atomic_file.hpp"

namespace dae::io {

/// An 8-bit image, row-major, channels interleaved (1 = gray, 3 = RGB).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 1;
  std::vector<std::uint8_t> pixels;  // (height, width, channels)

  /// A blank image filled with `value` in every channel.
  /// @param width, height in pixels, > 0.
  /// @param channels 1 or 3.
  /// @param value the fill value.
  /// @return the image.
  static Image filled(int width, int height, int channels, std::uint8_t value = 0) {
    Image im;
    im.width = width;
    im.height = height;
    im.channels = channels;
    im.pixels.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                         static_cast<std::size_t>(channels),
                     value);
    return im;
  }

  /// Pointer to pixel (x, y)'s first channel.
  /// @pre 0 <= x < width, 0 <= y < height.
  std::uint8_t* at(int x, int y) {
    return pixels.data() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                            static_cast<std::size_t>(x)) *
                               static_cast<std::size_t>(channels);
  }
};

namespace detail {

/// stb's write callback: appends to the std::vector<std::byte> behind `context`. stb is C, so no
/// exception may cross it; a failed allocation is recorded and reported after stb returns.
struct PngSink {
  std::vector<std::byte> bytes;
  bool failed = false;
};

inline void png_sink_write(void* context, void* data, int size) {
  auto* sink = static_cast<PngSink*>(context);
  try {
    const auto* first = static_cast<const std::byte*>(data);
    sink->bytes.insert(sink->bytes.end(), first, first + size);
  } catch (...) {
    sink->failed = true;
  }
}

}  // namespace detail

/// Encodes an image as PNG (8-bit, gray or RGB, non-interlaced) with stb_image_write.
/// @param image width, height > 0; channels 1 or 3; pixels of size width x height x channels.
/// @return the PNG file bytes.
/// @throws dae::Error when the image is inconsistent or too large, or the encoder fails.
inline std::vector<std::byte> encode_png(const Image& image) {
  if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3)) {
    throw Error("png: invalid image " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + "x" + std::to_string(image.channels));
  }
  const std::size_t stride = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.channels);
  if (image.pixels.size() != stride * static_cast<std::size_t>(image.height)) {
    throw Error("png: pixel buffer size does not match the image size");
  }
  // stb sizes its buffers in int: the filtered image, (stride + 1) x height bytes, must fit.
  if ((stride + 1) * static_cast<std::size_t>(image.height) > static_cast<std::size_t>(INT_MAX) / 2) {
    throw Error("png: image " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " is too large to encode");
  }
  detail::PngSink sink;
  const int ok = stbi_write_png_to_func(detail::png_sink_write, &sink, image.width, image.height,
                                        image.channels, image.pixels.data(), static_cast<int>(stride));
  if (ok == 0 || sink.failed || sink.bytes.empty()) {
    throw Error("png: the encoder failed (out of memory)");
  }
  return std::move(sink.bytes);
}

/// Writes an image as a PNG file, atomically.
/// @param path the destination; its directory must exist.
/// @param image 8-bit gray (channels 1) or RGB (channels 3).
/// @post on failure the previous file at `path`, if any, is unchanged.
/// @throws dae::Error naming the path when the image is invalid or the write fails.
inline void write_png(const std::filesystem::path& path, const Image& image) {
  std::vector<std::byte> bytes;
  try {
    bytes = encode_png(image);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  write_file_atomic(path, bytes);
}

}  // namespace dae::io
