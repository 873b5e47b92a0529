// PNG writing for 8-bit grayscale and RGB images: the pictures dae_mnist produces (reconstructions,
// generated digits, charts).
//
// A small encoder of our own on zlib rather than stb_image_write: it is a few dozen lines, has no
// static-function or unused-function warnings to manage when included from many translation
// units, and produces deterministic bytes. Every scanline uses PNG filter 1 (Sub), which suits
// both digit pictures and flat-coloured charts; the stream is zlib level 9. Files are written
// atomically.
#pragma once

#include <zlib.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
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

inline void put_u32_be(std::vector<std::byte>& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
}

inline void put_chunk(std::vector<std::byte>& out, const char (&type)[5],
                      std::span<const std::byte> data) {
  put_u32_be(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::byte>(type[i]));
  out.insert(out.end(), data.begin(), data.end());
  const auto crc = ::crc32(0L, reinterpret_cast<const Bytef*>(out.data() + start),
                           static_cast<uInt>(out.size() - start));
  put_u32_be(out, static_cast<std::uint32_t>(crc));
}

}  // namespace detail

/// Encodes an image as PNG (8-bit, gray or RGB, non-interlaced).
/// @param image width, height > 0; channels 1 or 3; pixels of size width x height x channels.
/// @return the PNG file bytes.
/// @throws dae::Error when the image is inconsistent or too large, or zlib fails.
inline std::vector<std::byte> encode_png(const Image& image) {
  if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3)) {
    throw Error("png: invalid image " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + "x" + std::to_string(image.channels));
  }
  const std::size_t stride = static_cast<std::size_t>(image.width) * image.channels;
  if (image.pixels.size() != stride * static_cast<std::size_t>(image.height)) {
    throw Error("png: pixel buffer size does not match the image size");
  }
  // Filter each row with Sub: byte minus the same channel of the pixel to the left.
  std::vector<std::uint8_t> raw;
  raw.reserve((stride + 1) * static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* row = image.pixels.data() + stride * static_cast<std::size_t>(y);
    raw.push_back(1);
    for (std::size_t i = 0; i < stride; ++i) {
      const std::uint8_t left = i >= static_cast<std::size_t>(image.channels)
                                    ? row[i - static_cast<std::size_t>(image.channels)]
                                    : 0;
      raw.push_back(static_cast<std::uint8_t>(row[i] - left));
    }
  }
  uLongf zsize = ::compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::byte> z(zsize);
  if (::compress2(reinterpret_cast<Bytef*>(z.data()), &zsize, raw.data(),
                  static_cast<uLong>(raw.size()), 9) != Z_OK) {
    throw Error("png: zlib compression failed");
  }
  z.resize(zsize);

  std::vector<std::byte> out;
  static constexpr unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  for (const unsigned char c : signature) {
    out.push_back(static_cast<std::byte>(c));
  }
  std::vector<std::byte> ihdr;
  detail::put_u32_be(ihdr, static_cast<std::uint32_t>(image.width));
  detail::put_u32_be(ihdr, static_cast<std::uint32_t>(image.height));
  // bit depth 8, colour type 0 (gray) or 2 (RGB), deflate, adaptive filtering, no interlace
  ihdr.push_back(std::byte{8});
  ihdr.push_back(std::byte{static_cast<unsigned char>(image.channels == 1 ? 0 : 2)});
  ihdr.insert(ihdr.end(), 3, std::byte{0});
  detail::put_chunk(out, "IHDR", ihdr);
  detail::put_chunk(out, "IDAT", z);
  detail::put_chunk(out, "IEND", {});
  return out;
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
