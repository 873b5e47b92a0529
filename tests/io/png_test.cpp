// Tests of dae/io/png.hpp and dae/io/image_grid.hpp: what we write (with stb_image_write) decodes
// with stb_image, a separate decoder, to exactly the pixels we gave, gray and RGB, and grids
// place, scale and clamp images correctly.
#include "dae/io/png.hpp"

#include <cstdlib>

#include "dae/io/image_grid.hpp"
#include "io/test_util.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#include <stb/stb_image.h>

using dae::io::Image;
using namespace dae::test;

namespace {

Image decode(const std::filesystem::path& p, int want_channels) {
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load(p.c_str(), &w, &h, &c, want_channels);
  REQUIRE(px != nullptr);
  Image im;
  im.width = w;
  im.height = h;
  im.channels = want_channels;
  im.pixels.assign(px, px + static_cast<std::size_t>(w) * h * want_channels);
  stbi_image_free(px);
  CHECK(c == want_channels);
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
