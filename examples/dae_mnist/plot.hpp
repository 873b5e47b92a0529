// Tiny raster charts rendered straight to an RGB Image (then png.hpp), so dae_mnist can write the
// PNG copies of its charts (loss.png for `train`, confusion.png and latent.png for `cluster`, which
// have no report) without Python or gnuplot. The charts are the application's, not the library's:
// report.html draws its own as SVG (svg_charts.hpp); these are the pictures for the file system.
//
// Three charts: `line_chart` (named series, axes with numbered "nice" ticks, legend),
// `scatter_plot` (2-D points coloured by class 0..9 with the ten Tableau colours, legend) and
// `heatmap` (an integer matrix with its counts written in the cells). Text uses an embedded 5x7
// bitmap font drawn for this file: digits, capital letters (lower case is shown in capitals) and
// the symbols . , - + : / ( ) % _ = # < > [ ] ! ? * '. Everything is integer pixel work on a
// white canvas; no anti-aliasing, deterministic output.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dae/error.hpp"
#include "dae/io/png.hpp"

namespace dae_mnist::plot {

using dae::Error;
using dae::io::Image;

/// An 8-bit RGB colour.
struct Rgb {
  std::uint8_t r, g, b;
};

/// Ten distinct colours for classes 0..9 (the Tableau 10 palette).
inline constexpr std::array<Rgb, 10> kClassColours{{{31, 119, 180},
                                                    {255, 127, 14},
                                                    {44, 160, 44},
                                                    {214, 39, 40},
                                                    {148, 103, 189},
                                                    {140, 86, 75},
                                                    {227, 119, 194},
                                                    {127, 127, 127},
                                                    {188, 189, 34},
                                                    {23, 190, 207}}};

/// Common chart options. Sizes are in pixels; labels may be empty.
struct ChartOptions {
  int width = 640;      ///< image width (line and scatter charts)
  int height = 420;     ///< image height (line and scatter charts)
  std::string title;    ///< drawn centred at the top, double size
  std::string x_label;  ///< under the x axis
  std::string y_label;  ///< left of the y axis, vertical
};

/// One named line of a line chart; x and y have equal lengths.
struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
};

namespace detail {

/// 5x7 glyph rows, bit 4 = leftmost column.
inline const std::array<std::uint8_t, 7>& glyph(char c) {
  struct Entry {
    char c;
    std::array<std::uint8_t, 7> rows;
  };
  static constexpr Entry table[] = {
      {' ', {0, 0, 0, 0, 0, 0, 0}},
      {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
      {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
      {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
      {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
      {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
      {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
      {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
      {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
      {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
      {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
      {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
      {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
      {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
      {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
      {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
      {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
      {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
      {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
      {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
      {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
      {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
      {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
      {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
      {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
      {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
      {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
      {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
      {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
      {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
      {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
      {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
      {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
      {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
      {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
      {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
      {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
      {'.', {0, 0, 0, 0, 0, 0x0C, 0x0C}},
      {',', {0, 0, 0, 0, 0x0C, 0x04, 0x08}},
      {'-', {0, 0, 0, 0x1F, 0, 0, 0}},
      {'+', {0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0}},
      {':', {0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0}},
      {'/', {0, 0x01, 0x02, 0x04, 0x08, 0x10, 0}},
      {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
      {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
      {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
      {'_', {0, 0, 0, 0, 0, 0, 0x1F}},
      {'=', {0, 0, 0x1F, 0, 0x1F, 0, 0}},
      {'#', {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A}},
      {'<', {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02}},
      {'>', {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}},
      {'[', {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E}},
      {']', {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E}},
      {'!', {0x04, 0x04, 0x04, 0x04, 0x04, 0, 0x04}},
      {'?', {0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04}},
      {'*', {0, 0x04, 0x15, 0x0E, 0x15, 0x04, 0}},
      {'\'', {0x04, 0x04, 0x08, 0, 0, 0, 0}},
  };
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (const auto& e : table) {
    if (e.c == c) return e.rows;
  }
  for (const auto& e : table) {
    if (e.c == '?') return e.rows;
  }
  return table[0].rows;
}

/// An RGB image with the few drawing primitives the charts need; clips at the borders.
class Canvas {
 public:
  Canvas(int width, int height) : image_(Image::filled(width, height, 3, 255)) {}

  Image take() { return std::move(image_); }
  int width() const { return image_.width; }
  int height() const { return image_.height; }

  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= image_.width || y >= image_.height) return;
    std::uint8_t* p = image_.at(x, y);
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  void fill(int x0, int y0, int w, int h, Rgb c) {
    for (int y = y0; y < y0 + h; ++y)
      for (int x = x0; x < x0 + w; ++x) set(x, y, c);
  }
  void rect(int x0, int y0, int w, int h, Rgb c) {
    fill(x0, y0, w, 1, c);
    fill(x0, y0 + h - 1, w, 1, c);
    fill(x0, y0, 1, h, c);
    fill(x0 + w - 1, y0, 1, h, c);
  }
  /// Bresenham line, `thick` pixels square pen.
  void line(int x0, int y0, int x1, int y1, Rgb c, int thick = 1) {
    const int dx = std::abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    const int dy = -std::abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      fill(x0 - thick / 2, y0 - thick / 2, thick, thick, c);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }
  static int text_width(std::string_view s, int scale = 1) {
    return s.empty() ? 0 : static_cast<int>(s.size()) * 6 * scale - scale;
  }
  static int text_height(int scale = 1) { return 7 * scale; }
  /// Text with its top-left corner at (x, y).
  void text(int x, int y, std::string_view s, Rgb c, int scale = 1) {
    for (const char ch : s) {
      const auto& rows = glyph(ch);
      for (int r = 0; r < 7; ++r)
        for (int k = 0; k < 5; ++k)
          if (rows[static_cast<std::size_t>(r)] & (0x10 >> k))
            fill(x + k * scale, y + r * scale, scale, scale, c);
      x += 6 * scale;
    }
  }
  /// Text rotated 90 degrees counter-clockwise (reads bottom to top), its bounding box's top-left
  /// at (x, y).
  void text_up(int x, int y, std::string_view s, Rgb c) {
    int base = y + text_width(s) - 1;  // bottom of the first glyph's run
    for (const char ch : s) {
      const auto& rows = glyph(ch);
      for (int r = 0; r < 7; ++r)
        for (int k = 0; k < 5; ++k)
          if (rows[static_cast<std::size_t>(r)] & (0x10 >> k)) set(x + r, base - k, c);
      base -= 6;
    }
  }
  void text_centred(int cx, int y, std::string_view s, Rgb c, int scale = 1) {
    text(cx - text_width(s, scale) / 2, y, s, c, scale);
  }

 private:
  Image image_;
};

inline constexpr Rgb kBlack{0, 0, 0};
inline constexpr Rgb kGrid{225, 225, 225};
inline constexpr Rgb kAxis{60, 60, 60};

/// "Nice" tick positions (steps of 1, 2 or 5 times a power of ten) within [lo, hi], or, with
/// `expand`, from the last tick at or below lo to the first at or above hi.
inline std::vector<double> nice_ticks(double lo, double hi, int target, int& decimals,
                                      bool expand = false) {
  if (!(hi > lo)) hi = lo + 1.0;
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  std::vector<double> ticks;
  const double first = expand ? std::floor(lo / step + 1e-9) : std::ceil(lo / step - 1e-9);
  const double last = expand ? std::ceil(hi / step - 1e-9) : std::floor(hi / step + 1e-9);
  for (double k = first; k <= last; k += 1.0) {
    const double t = k * step;
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

inline std::string format_number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 12), v);
  return buf;
}

/// The frame shared by line and scatter charts: plot area, grid, ticks, labels, title.
struct Axes {
  int left, top, right, bottom;  // plot area in pixels (inclusive left/top, exclusive right/bottom)
  double x0, x1, y0, y1;         // data range
  int px(double x) const {
    return left + static_cast<int>(std::lround((x - x0) / (x1 - x0) * (right - left - 1)));
  }
  int py(double y) const {
    return bottom - 1 - static_cast<int>(std::lround((y - y0) / (y1 - y0) * (bottom - top - 1)));
  }
};

inline Axes draw_axes(Canvas& cv, const ChartOptions& o, double x0, double x1, double y0, double y1,
                      bool integer_x) {
  if (!(x1 > x0)) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  if (!(y1 > y0)) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  int ydec = 0, xdec = 0;
  auto yt = nice_ticks(y0, y1, 6, ydec, /*expand=*/true);
  auto xt = nice_ticks(x0, x1, 8, xdec);
  if (integer_x) {
    xdec = 0;
    std::erase_if(xt, [](double t) { return std::abs(t - std::round(t)) > 1e-9; });
  }
  // Extend the range to the outer ticks so the curve sits inside a labelled frame.
  y0 = std::min(y0, yt.front());
  y1 = std::max(y1, yt.back());
  int label_w = 0;
  for (const double t : yt) label_w = std::max(label_w, Canvas::text_width(format_number(t, ydec)));
  Axes a{};
  a.left = 14 + (o.y_label.empty() ? 0 : 12) + label_w;
  a.top = o.title.empty() ? 14 : 36;
  a.right = cv.width() - 16;
  a.bottom = cv.height() - (o.x_label.empty() ? 26 : 40);
  a.x0 = x0;
  a.x1 = x1;
  a.y0 = y0;
  a.y1 = y1;
  if (a.right - a.left < 20 || a.bottom - a.top < 20) throw Error("chart: image too small");
  for (const double t : yt) {
    const int y = a.py(t);
    if (y < a.top || y >= a.bottom) continue;
    cv.fill(a.left, y, a.right - a.left, 1, kGrid);
    cv.fill(a.left - 4, y, 4, 1, kAxis);
    const std::string s = format_number(t, ydec);
    cv.text(a.left - 6 - Canvas::text_width(s), y - 3, s, kAxis);
  }
  for (const double t : xt) {
    const int x = a.px(t);
    if (x < a.left || x >= a.right) continue;
    cv.fill(x, a.top, 1, a.bottom - a.top, kGrid);
    cv.fill(x, a.bottom, 1, 4, kAxis);
    cv.text_centred(x, a.bottom + 7, format_number(t, xdec), kAxis);
  }
  cv.rect(a.left - 1, a.top - 1, a.right - a.left + 2, a.bottom - a.top + 2, kAxis);
  if (!o.title.empty()) cv.text_centred(cv.width() / 2, 10, o.title, kBlack, 2);
  if (!o.x_label.empty())
    cv.text_centred((a.left + a.right) / 2, cv.height() - 14, o.x_label, kBlack);
  if (!o.y_label.empty()) {
    cv.text_up(4, (a.top + a.bottom) / 2 - Canvas::text_width(o.y_label) / 2, o.y_label, kBlack);
  }
  return a;
}

/// A legend box in the top-right corner of the plot area.
inline void draw_legend(Canvas& cv, const Axes& a,
                        const std::vector<std::pair<std::string, Rgb>>& entries) {
  if (entries.empty()) return;
  int w = 0;
  for (const auto& e : entries) w = std::max(w, Canvas::text_width(e.first));
  w += 28;
  const int h = static_cast<int>(entries.size()) * 12 + 6;
  const int x = a.right - w - 6, y = a.top + 6;
  cv.fill(x, y, w, h, {255, 255, 255});
  cv.rect(x, y, w, h, kAxis);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const int yy = y + 4 + static_cast<int>(i) * 12;
    cv.fill(x + 5, yy + 2, 14, 3, entries[i].second);
    cv.text(x + 23, yy, entries[i].first, kBlack);
  }
}

}  // namespace detail

/// Line chart of named series (e.g. training and validation loss per epoch).
/// Series get colours 0, 1, 2, ... of kClassColours; points are marked; the legend names them.
/// @param series at least one series with at least one point; x.size() == y.size(); values
///        finite (non-finite points are skipped).
/// @param options size, title and axis labels.
/// @return an RGB image.
/// @throws dae::Error when there is no finite point, x and y differ in length, or the image is
///         too small.
inline Image line_chart(std::span<const Series> series, const ChartOptions& options) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  bool integer_x = true;
  for (const auto& s : series) {
    if (s.x.size() != s.y.size())
      throw Error("line chart: series '" + s.name + "' has x and y of different lengths");
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
      integer_x = integer_x && s.x[i] == std::round(s.x[i]);
    }
  }
  if (!(x1 >= x0)) throw Error("line chart: no finite points to draw");
  detail::Canvas cv(options.width, options.height);
  const detail::Axes a = detail::draw_axes(cv, options, x0, x1, y0, y1, integer_x);
  std::vector<std::pair<std::string, Rgb>> legend;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const Rgb c = kClassColours[k % kClassColours.size()];
    const auto& s = series[k];
    bool have_prev = false;
    int px = 0, py = 0;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        have_prev = false;
        continue;
      }
      const int x = a.px(s.x[i]), y = a.py(s.y[i]);
      if (have_prev) cv.line(px, py, x, y, c, 2);
      cv.fill(x - 2, y - 2, 5, 5, c);
      px = x;
      py = y;
      have_prev = true;
    }
    legend.emplace_back(s.name, c);
  }
  detail::draw_legend(cv, a, legend);
  return cv.take();
}

/// Scatter plot of points coloured by class, e.g. two latent dimensions coloured by digit.
/// @param points n x dims floats, row-major.
/// @param dims values per point, >= 2.
/// @param classes n class ids in 0..9.
/// @param options size, title and axis labels.
/// @param dim_x, dim_y which coordinates to plot, in [0, dims).
/// @return an RGB image with a legend of the classes present.
/// @throws dae::Error on inconsistent sizes, a class outside 0..9, or no finite point.
inline Image scatter_plot(std::span<const float> points, int dims,
                          std::span<const std::int32_t> classes, const ChartOptions& options,
                          int dim_x = 0, int dim_y = 1) {
  if (dims < 2 || dim_x < 0 || dim_y < 0 || dim_x >= dims || dim_y >= dims ||
      points.size() != classes.size() * static_cast<std::size_t>(dims)) {
    throw Error("scatter plot: " + std::to_string(points.size()) + " values for " +
                std::to_string(classes.size()) + " points of " + std::to_string(dims) + " dims");
  }
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  std::array<bool, 10> present{};
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] < 0 || classes[i] > 9) {
      throw Error("scatter plot: class " + std::to_string(classes[i]) + " at index " +
                  std::to_string(i) + " is outside 0..9");
    }
    const double x = points[i * static_cast<std::size_t>(dims) + static_cast<std::size_t>(dim_x)];
    const double y = points[i * static_cast<std::size_t>(dims) + static_cast<std::size_t>(dim_y)];
    if (!std::isfinite(x) || !std::isfinite(y)) continue;
    x0 = std::min(x0, x);
    x1 = std::max(x1, x);
    y0 = std::min(y0, y);
    y1 = std::max(y1, y);
    present[static_cast<std::size_t>(classes[i])] = true;
  }
  if (!(x1 >= x0)) throw Error("scatter plot: no finite points to draw");
  detail::Canvas cv(options.width, options.height);
  const detail::Axes a = detail::draw_axes(cv, options, x0, x1, y0, y1, false);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const double x = points[i * static_cast<std::size_t>(dims) + static_cast<std::size_t>(dim_x)];
    const double y = points[i * static_cast<std::size_t>(dims) + static_cast<std::size_t>(dim_y)];
    if (!std::isfinite(x) || !std::isfinite(y)) continue;
    cv.fill(a.px(x) - 1, a.py(y) - 1, 2, 2, kClassColours[static_cast<std::size_t>(classes[i])]);
  }
  std::vector<std::pair<std::string, Rgb>> legend;
  for (int k = 0; k < 10; ++k) {
    if (present[static_cast<std::size_t>(k)])
      legend.emplace_back(std::to_string(k), kClassColours[static_cast<std::size_t>(k)]);
  }
  detail::draw_legend(cv, a, legend);
  return cv.take();
}

/// Overload for uint8 class ids (as MNIST labels are stored).
/// @param points n x dims floats, row-major.
/// @param dims values per point, >= 2.
/// @param classes n class ids in 0..9.
/// @param options size, title and axis labels.
/// @param dim_x, dim_y which coordinates to plot.
/// @return an RGB image.
/// @throws dae::Error as the int32 overload.
inline Image scatter_plot(std::span<const float> points, int dims,
                          std::span<const std::uint8_t> classes, const ChartOptions& options,
                          int dim_x = 0, int dim_y = 1) {
  const std::vector<std::int32_t> c(classes.begin(), classes.end());
  return scatter_plot(points, dims, std::span<const std::int32_t>(c), options, dim_x, dim_y);
}

/// Heatmap of a non-negative integer matrix with the counts written in the cells (a confusion
/// matrix: rows = true class, columns = predicted class/cluster). Cell size follows the widest
/// count; `options.width/height` are ignored.
/// @param counts rows x cols values, row-major, each >= 0.
/// @param rows, cols matrix size, 1..100 each.
/// @param options title and axis labels (x_label under the columns, y_label beside the rows).
/// @return an RGB image; darker blue = larger count.
/// @throws dae::Error on inconsistent sizes or a negative count.
inline Image heatmap(std::span<const std::int64_t> counts, int rows, int cols,
                     const ChartOptions& options) {
  if (rows < 1 || cols < 1 || rows > 100 || cols > 100 ||
      counts.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols)) {
    throw Error("heatmap: " + std::to_string(counts.size()) + " values for a " +
                std::to_string(rows) + "x" + std::to_string(cols) + " matrix");
  }
  std::int64_t max = 0;
  int widest = detail::Canvas::text_width(std::to_string(std::max(rows, cols) - 1));
  for (const auto v : counts) {
    if (v < 0) throw Error("heatmap: negative count " + std::to_string(v));
    max = std::max(max, v);
    widest = std::max(widest, detail::Canvas::text_width(std::to_string(v)));
  }
  const int cell = std::max(22, widest + 10);
  const int left = 14 + (options.y_label.empty() ? 0 : 12) +
                   detail::Canvas::text_width(std::to_string(rows - 1));
  const int top = (options.title.empty() ? 10 : 34) + 14;
  const int width = left + cols * cell + 14;
  const int height = top + rows * cell + (options.x_label.empty() ? 12 : 28);
  detail::Canvas cv(width, height);
  if (!options.title.empty()) cv.text_centred(width / 2, 10, options.title, detail::kBlack, 2);
  for (int c = 0; c < cols; ++c) {
    cv.text_centred(left + c * cell + cell / 2, top - 11, std::to_string(c), detail::kAxis);
  }
  for (int r = 0; r < rows; ++r) {
    const std::string s = std::to_string(r);
    cv.text(left - 5 - detail::Canvas::text_width(s), top + r * cell + cell / 2 - 3, s,
            detail::kAxis);
    for (int c = 0; c < cols; ++c) {
      const std::int64_t v = counts[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) +
                                    static_cast<std::size_t>(c)];
      const double t = max > 0 ? static_cast<double>(v) / static_cast<double>(max) : 0.0;
      const Rgb bg{static_cast<std::uint8_t>(std::lround(247 - t * (247 - 8))),
                   static_cast<std::uint8_t>(std::lround(251 - t * (251 - 48))),
                   static_cast<std::uint8_t>(std::lround(255 - t * (255 - 107)))};
      const int x = left + c * cell, y = top + r * cell;
      cv.fill(x, y, cell, cell, bg);
      cv.text_centred(x + cell / 2, y + cell / 2 - 3, std::to_string(v),
                      t > 0.5 ? Rgb{255, 255, 255} : detail::kBlack);
    }
  }
  cv.rect(left - 1, top - 1, cols * cell + 2, rows * cell + 2, detail::kAxis);
  if (!options.x_label.empty()) {
    cv.text_centred(left + cols * cell / 2, height - 16, options.x_label, detail::kBlack);
  }
  if (!options.y_label.empty()) {
    cv.text_up(4, top + rows * cell / 2 - detail::Canvas::text_width(options.y_label) / 2,
               options.y_label, detail::kBlack);
  }
  return cv.take();
}

}  // namespace dae_mnist::plot
