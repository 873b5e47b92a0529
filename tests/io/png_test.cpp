// Tests of dae/io/png.hpp and dae/io/image_grid.hpp: what we write decodes to exactly the pixels
// we gave, gray and RGB, and grids place, scale and clamp images correctly. The decoder here is
// our own on zlib, not stb_image: the encoder is stb_image_write, and a test that read its output
// back with the same library could share its mistakes. It checks every chunk's CRC and undoes all
// five PNG filters, since stb chooses a filter per row.
#include "dae/io/png.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "dae/io/image_grid.hpp"
#include "io/test_util.hpp"

using dae::io::Image;
using namespace dae::test;

namespace {

std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t at) {
  REQUIRE(at + 4 <= b.size());
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         std::uint32_t{b[at + 3]};
}

int paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

Image decode(const std::filesystem::path& p, int want_channels) {
  const auto raw = read_bytes(p);
  const std::vector<std::uint8_t> b(reinterpret_cast<const std::uint8_t*>(raw.data()),
                                    reinterpret_cast<const std::uint8_t*>(raw.data()) + raw.size());
  static constexpr std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  REQUIRE(b.size() >= 8);
  REQUIRE(std::equal(signature, signature + 8, b.begin()));
  Image im;
  std::vector<std::uint8_t> idat;
  bool ended = false;
  for (std::size_t at = 8; !ended;) {
    const std::uint32_t length = be32(b, at);
    REQUIRE(at + 12 + length <= b.size());
    const std::string type(b.begin() + static_cast<std::ptrdiff_t>(at + 4), b.begin() + static_cast<std::ptrdiff_t>(at + 8));
    const auto crc = ::crc32(0L, b.data() + at + 4, static_cast<uInt>(length + 4));
    CHECK(static_cast<std::uint32_t>(crc) == be32(b, at + 8 + length));
    const std::size_t data = at + 8;
    if (type == "IHDR") {
      REQUIRE(length == 13);
      im.width = static_cast<int>(be32(b, data));
      im.height = static_cast<int>(be32(b, data + 4));
      REQUIRE(b[data + 8] == 8);                         // bit depth
      REQUIRE((b[data + 9] == 0 || b[data + 9] == 2));   // gray or RGB, no palette or alpha
      im.channels = b[data + 9] == 0 ? 1 : 3;
      REQUIRE(b[data + 12] == 0);                        // not interlaced
    } else if (type == "IDAT") {
      idat.insert(idat.end(), b.begin() + static_cast<std::ptrdiff_t>(data), b.begin() + static_cast<std::ptrdiff_t>(data + length));
    } else if (type == "IEND") {
      ended = true;
    }
    at += 12 + length;
  }
  CHECK(im.channels == want_channels);
  const std::size_t stride = static_cast<std::size_t>(im.width) * static_cast<std::size_t>(im.channels);
  std::vector<std::uint8_t> filtered((stride + 1) * static_cast<std::size_t>(im.height));
  uLongf size = filtered.size();
  REQUIRE(::uncompress(filtered.data(), &size, idat.data(), static_cast<uLong>(idat.size())) == Z_OK);
  REQUIRE(size == filtered.size());
  im.pixels.assign(stride * static_cast<std::size_t>(im.height), 0);
  const std::size_t bpp = static_cast<std::size_t>(im.channels);
  for (std::size_t y = 0; y < static_cast<std::size_t>(im.height); ++y) {
    const std::uint8_t filter = filtered[y * (stride + 1)];
    REQUIRE(filter <= 4);
    const std::uint8_t* in = filtered.data() + y * (stride + 1) + 1;
    std::uint8_t* row = im.pixels.data() + y * stride;
    const std::uint8_t* up = y > 0 ? row - stride : nullptr;
    for (std::size_t i = 0; i < stride; ++i) {
      const int a = i >= bpp ? row[i - bpp] : 0, u = up ? up[i] : 0, c = up && i >= bpp ? up[i - bpp] : 0;
      const int predicted = filter == 0 ? 0 : filter == 1 ? a : filter == 2 ? u : filter == 3 ? (a + u) / 2 : paeth(a, u, c);
      row[i] = static_cast<std::uint8_t>(in[i] + predicted);
    }
  }
  return im;
}

}  // namespace

TEST_CASE("png: gray and RGB images decode to the pixels written", "[io][png]") {
  TempDir dir;
  for (const int channels : {1, 3}) {
    Image im = Image::filled(37, 23, channels);
    std::uint32_t s = 12345;
    for (auto& p : im.pixels) {
      s = s * 1664525u + 1013904223u;
      p = static_cast<std::uint8_t>(s >> 24);
    }
    const auto path = dir / ("im" + std::to_string(channels) + ".png");
    dae::io::write_png(path, im);
    const Image back = decode(path, channels);
    CHECK(back.width == 37);
    CHECK(back.height == 23);
    CHECK(back.pixels == im.pixels);
  }
}

TEST_CASE("png: invalid images and failed writes are errors", "[io][png]") {
  TempDir dir;
  Image bad = Image::filled(4, 4, 2);
  require_error([&] { dae::io::write_png(dir / "a.png", bad); }, {"a.png", "invalid image"});
  Image short_buf = Image::filled(4, 4, 1);
  short_buf.pixels.pop_back();
  require_error([&] { dae::io::write_png(dir / "b.png", short_buf); }, {"b.png", "size"});
  write_bytes(dir / "file", bytes_of("x"));
  require_error([&] { dae::io::write_png(dir / "file" / "c.png", Image::filled(2, 2, 1)); },
                {"file/c.png"});
}

TEST_CASE("image grid: layout, upscale, gap, clamping", "[io][grid]") {
  // Three 2x3 images: constant 0, 1 and a ramp with out-of-range values and a NaN.
  std::vector<float> imgs(3 * 6);
  for (int i = 0; i < 6; ++i) {
    imgs[static_cast<std::size_t>(i)] = 0.0f;
    imgs[static_cast<std::size_t>(6 + i)] = 1.0f;
  }
  const float ramp[6] = {-0.5f, 0.2f, 0.5f, 2.0f, std::nanf(""), 1.0f};
  std::copy(ramp, ramp + 6, imgs.begin() + 12);
  const dae::io::GridOptions opt{2, 2, 3, 1, 100};
  const Image g = dae::io::tile_images(imgs, 3, 2, 3, opt);
  CHECK(g.width == 2 * (9 + 1) + 1);
  CHECK(g.height == 2 * (6 + 1) + 1);
  CHECK(g.channels == 1);
  auto px = [&](int x, int y) { return g.pixels[static_cast<std::size_t>(y * g.width + x)]; };
  CHECK(px(0, 0) == 100);                     // border
  CHECK(px(1, 1) == 0);                       // image 0
  CHECK(px(11, 1) == 255);                    // image 1, first cell of row 0 col 1
  CHECK(px(10, 3) == 100);                    // gap between columns
  CHECK(px(1, 8) == 0);                       // image 2: -0.5 clamps to 0
  CHECK(px(4, 8) == 51);                      // 0.2 -> 51, upscaled 3x
  CHECK(px(7, 8) == 128);                     // 0.5 -> 128
  CHECK(px(1, 11) == 255);                    // 2.0 clamps to 255
  CHECK(px(4, 11) == 0);                      // NaN shows black
  CHECK(px(15, 10) == 100);                   // empty 4th cell keeps the gap colour
  TempDir dir;
  dae::io::write_png(dir / "grid.png", g);
  CHECK(decode(dir / "grid.png", 1).pixels == g.pixels);
  require_error([&] { dae::io::tile_images(imgs, 5, 2, 3, opt); }, {"image grid"});
  require_error([&] { dae::io::tile_images(imgs, 2, 2, 3, opt); }, {"image grid", "18 values"});
}
