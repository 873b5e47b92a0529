// Tests of examples/dae_mnist/plot.hpp (the PNG charts of dae_mnist): each chart renders to a PNG
// of the expected size whose pixels contain the series/class colours, and bad input is an error.
// Set DAE_KEEP_PICTURES=<dir> to keep the rendered charts for a look.
#include "plot.hpp"

#include <cmath>
#include <cstdlib>

#include "io/test_util.hpp"

using dae::io::Image;
using namespace dae::test;

namespace {

bool has_colour(const Image& im, dae_mnist::plot::Rgb c) {
  for (std::size_t i = 0; i + 2 < im.pixels.size(); i += 3) {
    if (im.pixels[i] == c.r && im.pixels[i + 1] == c.g && im.pixels[i + 2] == c.b) return true;
  }
  return false;
}

void keep(const Image& im, const std::string& name) {
  if (const char* d = std::getenv("DAE_KEEP_PICTURES")) {
    dae::io::write_png(std::filesystem::path(d) / name, im);
  }
  TempDir dir;
  dae::io::write_png(dir / name, im);
  CHECK(std::filesystem::file_size(dir / name) > 100);
}

}  // namespace

TEST_CASE("plot: line chart of loss curves", "[io][plot]") {
  dae_mnist::plot::Series train{"train loss", {}, {}}, val{"val loss", {}, {}};
  for (int e = 1; e <= 30; ++e) {
    train.x.push_back(e);
    train.y.push_back(0.02 + 0.05 * std::exp(-0.3 * e));
    val.x.push_back(e);
    val.y.push_back(0.022 + 0.045 * std::exp(-0.28 * e));
  }
  const std::vector<dae_mnist::plot::Series> series{train, val};
  const dae_mnist::plot::ChartOptions opt{640, 420, "Loss", "epoch", "MSE"};
  const Image im = dae_mnist::plot::line_chart(series, opt);
  CHECK(im.width == 640);
  CHECK(im.height == 420);
  CHECK(im.channels == 3);
  CHECK(has_colour(im, dae_mnist::plot::kClassColours[0]));
  CHECK(has_colour(im, dae_mnist::plot::kClassColours[1]));
  keep(im, "loss.png");
  // A single point and a NaN still draw.
  const std::vector<dae_mnist::plot::Series> one{{"x", {1, 2}, {0.5, NAN}}};
  CHECK(dae_mnist::plot::line_chart(one, opt).width == 640);
  const std::vector<dae_mnist::plot::Series> none{{"x", {1}, {NAN}}};
  require_error([&] { dae_mnist::plot::line_chart(none, opt); }, {"no finite points"});
  const std::vector<dae_mnist::plot::Series> ragged{{"x", {1, 2}, {1}}};
  require_error([&] { dae_mnist::plot::line_chart(ragged, opt); }, {"'x'", "lengths"});
}

TEST_CASE("plot: scatter plot coloured by class", "[io][plot]") {
  std::vector<float> pts;
  std::vector<std::int32_t> cls;
  for (int i = 0; i < 2000; ++i) {
    const int c = i % 10;
    const double a = c * 0.628 + 0.002 * i;
    pts.push_back(static_cast<float>(std::cos(a) * (3 + c)));
    pts.push_back(static_cast<float>(std::sin(a) * (3 + c)));
    pts.push_back(0.0f);
    cls.push_back(c);
  }
  const dae_mnist::plot::ChartOptions opt{600, 600, "Latent codes", "z0", "z1"};
  const Image im = dae_mnist::plot::scatter_plot(pts, 3, cls, opt);
  for (const auto& c : dae_mnist::plot::kClassColours) CHECK(has_colour(im, c));
  keep(im, "scatter.png");
  const std::vector<std::uint8_t> u8(cls.begin(), cls.end());
  CHECK(dae_mnist::plot::scatter_plot(pts, 3, std::span<const std::uint8_t>(u8), opt, 0, 2).width ==
        600);
  cls[5] = 10;
  require_error([&] { dae_mnist::plot::scatter_plot(pts, 3, cls, opt); }, {"class 10", "index 5"});
  require_error([&] { dae_mnist::plot::scatter_plot(pts, 2, cls, opt); }, {"scatter plot"});
}

TEST_CASE("plot: heatmap of a confusion matrix", "[io][plot]") {
  std::vector<std::int64_t> m(100, 0);
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 10; ++c)
      m[static_cast<std::size_t>(r * 10 + c)] = r == c ? 5000 + 97 * r : (r * 7 + c * 3) % 40;
  const dae_mnist::plot::ChartOptions opt{0, 0, "Confusion", "cluster", "digit"};
  const Image im = dae_mnist::plot::heatmap(m, 10, 10, opt);
  CHECK(im.width > 10 * 30);
  CHECK(has_colour(im, {255, 255, 255}));
  keep(im, "confusion.png");
  require_error([&] { dae_mnist::plot::heatmap(m, 10, 9, opt); }, {"heatmap"});
  m[3] = -1;
  require_error([&] { dae_mnist::plot::heatmap(m, 10, 10, opt); }, {"negative"});
}
