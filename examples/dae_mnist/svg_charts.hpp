// The charts of report.html, drawn as SVG text to be written straight into the page: the loss
// curves, the latent codes on a plane (every point, coloured by digit) and a confusion matrix.
// Vector graphics rather than pictures, so the browser sets the text in real fonts at any zoom,
// and hovering a point, a line or a cell shows its value (an SVG <title>, no script). The page
// has no network dependency: fonts are the system's (system-ui, sans-serif), nothing is fetched.
// Plain C++ (strings and snprintf): nvcc compiles it too, through pipeline.hpp.
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

namespace dae_mnist::svg {

/// The ten Tableau colours, class c in colour c (the PNG charts' palette, so both agree).
inline constexpr std::array<const char*, 10> kColours{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                      "#bcbd22", "#17becf"};

/// Size (SVG user units, one CSS pixel each at 100 %), title and axis labels of a chart.
struct ChartOptions {
  int width = 720;
  int height = 420;
  std::string title, x_label, y_label;
};

/// One named line of the loss chart; x and y have equal lengths.
struct Series {
  std::string name;
  std::vector<double> x, y;
};

/// Text made safe for SVG/HTML content and attribute values.
inline std::string escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// A number with `digits` decimals ("%.*f").
inline std::string number(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

/// A count with thousands separators (48,000), as the page's prose writes them.
inline std::string count(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

/// Tick positions at 1, 2 or 5 times a power of ten covering [lo, hi] (the first at or below lo,
/// the last at or above hi: the axis then ends on a labelled tick), and the decimals they need.
struct Ticks {
  std::vector<double> values;
  int decimals = 0;
};

inline Ticks nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) {  // one value: a unit-wide axis around it
    const double pad = lo == 0.0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(target, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power * 10;
  for (const double m : {1.0, 2.0, 5.0}) {
    if (raw <= m * power) {
      step = m * power;
      break;
    }
  }
  Ticks t;
  t.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  const double first = std::floor(lo / step + 1e-9) * step,
               last = std::ceil(hi / step - 1e-9) * step;
  for (int i = 0; first + i * step <= last + step * 1e-6; ++i) t.values.push_back(first + i * step);
  return t;
}

namespace detail {

/// The plot area of a chart and its value ranges: maps values to SVG coordinates (y grows down).
struct Frame {
  double left, top, right, bottom;
  double x0, x1, y0, y1;
  [[nodiscard]] double x(double v) const { return left + (v - x0) / (x1 - x0) * (right - left); }
  [[nodiscard]] double y(double v) const { return bottom - (v - y0) / (y1 - y0) * (bottom - top); }
};

inline std::string open_svg(const ChartOptions& o, const std::string& css_class) {
  const std::string w = std::to_string(o.width), h = std::to_string(o.height);
  return "<svg class=\"chart " + css_class +
         "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + w + " " + h + "\" width=\"" +
         w + "\" height=\"" + h +
         "\" font-family=\"system-ui, sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"" +
         escape(o.title) + "\">\n<text x=\"" + std::to_string(o.width / 2) +
         "\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\">" +
         escape(o.title) + "</text>\n";
}

/// Grid lines, the frame, ticks with their labels and the axis labels.
inline std::string axes(const Frame& f, const Ticks& xt, const Ticks& yt, const ChartOptions& o) {
  std::string s = "<g stroke=\"#e4e4e4\">";
  for (const double v : xt.values)
    s += "<line x1=\"" + number(f.x(v), 1) + "\" x2=\"" + number(f.x(v), 1) + "\" y1=\"" +
         number(f.top, 1) + "\" y2=\"" + number(f.bottom, 1) + "\"/>";
  for (const double v : yt.values)
    s += "<line x1=\"" + number(f.left, 1) + "\" x2=\"" + number(f.right, 1) + "\" y1=\"" +
         number(f.y(v), 1) + "\" y2=\"" + number(f.y(v), 1) + "\"/>";
  s += "</g>\n<rect x=\"" + number(f.left, 1) + "\" y=\"" + number(f.top, 1) + "\" width=\"" +
       number(f.right - f.left, 1) + "\" height=\"" + number(f.bottom - f.top, 1) +
       "\" fill=\"none\" stroke=\"#444\"/>\n<g fill=\"#333\">";
  for (const double v : xt.values) {
    s += "<text x=\"" + number(f.x(v), 1) + "\" y=\"" + number(f.bottom + 16, 1) +
         "\" text-anchor=\"middle\">" + number(v, xt.decimals) + "</text>";
  }
  for (const double v : yt.values) {
    s += "<text x=\"" + number(f.left - 6, 1) + "\" y=\"" + number(f.y(v) + 4, 1) +
         "\" text-anchor=\"end\">" + number(v, yt.decimals) + "</text>";
  }
  s += "</g>\n<text x=\"" + number((f.left + f.right) / 2, 1) + "\" y=\"" +
       number(f.bottom + 36, 1) + "\" text-anchor=\"middle\">" + escape(o.x_label) +
       "</text>\n<text transform=\"translate(16 " + number((f.top + f.bottom) / 2, 1) +
       ") rotate(-90)\" text-anchor=\"middle\">" + escape(o.y_label) + "</text>\n";
  return s;
}

/// A legend entry: a coloured dot and its text.
inline std::string legend_entry(double x, double y, const char* colour, const std::string& text) {
  return "<circle cx=\"" + number(x, 1) + "\" cy=\"" + number(y - 4, 1) + "\" r=\"5\" fill=\"" +
         colour + "\"/><text x=\"" + number(x + 10, 1) + "\" y=\"" + number(y, 1) + "\">" +
         escape(text) + "</text>";
}

}  // namespace detail

/// The loss curves: one line per series with a dot per point, its value on hover, and a legend.
/// Non-finite values are left out. @throws dae::Error without a finite point or on ragged series.
inline std::string line_chart(std::span<const Series> series, const ChartOptions& o) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& s : series) {
    if (s.x.size() != s.y.size())
      throw dae::Error("line chart: series '" + s.name + "' has x and y of different lengths");
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]);
      x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]);
      y1 = std::max(y1, s.y[i]);
    }
  }
  if (!(x1 >= x0)) throw dae::Error("line chart: no finite points to draw");
  // Whole-number x (epochs) gets whole-number ticks: no tick at epoch 1.5.
  bool whole = true;
  for (const auto& s : series)
    for (const double x : s.x) whole = whole && (!std::isfinite(x) || x == std::floor(x));
  const int x_target = whole ? static_cast<int>(std::clamp(x1 - x0, 1.0, 8.0)) : 8;
  const Ticks xt = nice_ticks(x0, x1, x_target), yt = nice_ticks(y0, y1, 6);
  const detail::Frame f{72,
                        36,
                        o.width - 20.0,
                        o.height - 48.0,
                        xt.values.front(),
                        xt.values.back(),
                        yt.values.front(),
                        yt.values.back()};
  std::string svg = detail::open_svg(o, "line-chart") + detail::axes(f, xt, yt, o);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const char* colour = kColours[k % kColours.size()];
    std::string points, dots;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const std::string px = number(f.x(s.x[i]), 1), py = number(f.y(s.y[i]), 1);
      points += (points.empty() ? "" : " ") + px + "," + py;
      dots += "<circle cx=\"" + px + "\" cy=\"" + py + "\" r=\"3.5\"><title>" + escape(s.name) +
              ", " + escape(o.x_label) + " " + number(s.x[i], 0) + ": " + number(s.y[i], 6) +
              "</title></circle>";
    }
    svg += "<g class=\"series\" fill=\"" + std::string(colour) + "\"><polyline points=\"" + points +
           "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"/>" + dots + "</g>\n";
    svg += detail::legend_entry(f.right - 110, f.top + 18 + 18 * static_cast<double>(k), colour,
                                s.name) +
           "\n";
  }
  return svg + "</svg>\n";
}

/// (N, 2) points coloured by class 0..9, every point drawn: one dot is a zero-length segment
/// with a round cap ("M x y h0"), so 48,000 points are a few hundred kilobytes of path data. The
/// classes are drawn in interleaved chunks of `chunk` points, not one class after the other,
/// so no digit lies wholly under the others. Hovering a dot names its digit; the legend counts
/// each. @throws dae::Error on sizes that disagree, a class outside 0..9 or no finite point.
inline std::string scatter_plot(std::span<const float> plane, std::span<const int> classes,
                                const ChartOptions& o, std::size_t chunk = 1000) {
  if (plane.size() != 2 * classes.size()) {
    throw dae::Error("scatter plot: " + std::to_string(plane.size()) + " coordinates for " +
                     std::to_string(classes.size()) + " classes");
  }
  std::array<std::vector<std::size_t>, 10> members;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    if (classes[i] < 0 || classes[i] > 9) {
      throw dae::Error("scatter plot: class " + std::to_string(classes[i]) + " at index " +
                       std::to_string(i) + " is not a digit 0..9");
    }
    const double x = plane[2 * i], y = plane[2 * i + 1];
    if (!std::isfinite(x) || !std::isfinite(y)) continue;
    members[static_cast<std::size_t>(classes[i])].push_back(i);
    x0 = std::min(x0, x);
    x1 = std::max(x1, x);
    y0 = std::min(y0, y);
    y1 = std::max(y1, y);
  }
  if (!(x1 >= x0)) throw dae::Error("scatter plot: no finite points to draw");
  const Ticks xt = nice_ticks(x0, x1, 8), yt = nice_ticks(y0, y1, 7);
  const detail::Frame f{64,
                        36,
                        o.width - 130.0,
                        o.height - 48.0,
                        xt.values.front(),
                        xt.values.back(),
                        yt.values.front(),
                        yt.values.back()};
  std::string svg = detail::open_svg(o, "scatter") + detail::axes(f, xt, yt, o);
  svg +=
      "<g class=\"points\" fill=\"none\" stroke-width=\"3\" stroke-linecap=\"round\" "
      "stroke-opacity=\"0.55\">\n";
  std::size_t longest = 0;
  for (const auto& m : members) longest = std::max(longest, m.size());
  chunk = std::max<std::size_t>(chunk, 1);
  for (std::size_t first = 0; first < longest; first += chunk) {
    for (std::size_t c = 0; c < 10; ++c) {
      const auto& m = members[c];
      if (first >= m.size()) continue;
      std::string d;
      d.reserve(16 * chunk);
      char point[48];
      for (std::size_t j = first; j < std::min(first + chunk, m.size()); ++j) {
        std::snprintf(point, sizeof point, "M%.1f %.1fh0", f.x(plane[2 * m[j]]),
                      f.y(plane[2 * m[j] + 1]));
        d += point;
      }
      svg += "<path data-digit=\"" + std::to_string(c) + "\" stroke=\"" + kColours[c] + "\" d=\"" +
             d + "\"><title>digit " + std::to_string(c) + "</title></path>\n";
    }
  }
  svg += "</g>\n<g class=\"legend\">";
  int row = 0;
  for (std::size_t c = 0; c < 10; ++c) {
    if (members[c].empty()) continue;
    svg += detail::legend_entry(
        f.right + 22, f.top + 14 + 20.0 * row++, kColours[c],
        std::to_string(c) + "  (" + count(static_cast<std::int64_t>(members[c].size())) + ")");
  }
  return svg + "</g>\n</svg>\n";
}

/// A (rows, cols) count matrix as shaded cells, each with its count and, on hover, its share of
/// the row: row r is digit r, column c the digit its cluster was mapped to. The shade is the
/// share of the row, so a small digit's errors show as plainly as a large one's.
/// @throws dae::Error on a size that disagrees or a negative count.
inline std::string heatmap(std::span<const std::int64_t> counts, int rows, int cols,
                           const ChartOptions& o) {
  if (rows < 1 || cols < 1 ||
      counts.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols)) {
    throw dae::Error("heatmap: " + std::to_string(counts.size()) + " counts for " +
                     std::to_string(rows) + " x " + std::to_string(cols) + " cells");
  }
  constexpr double cell = 40, left = 64, top = 36;
  ChartOptions sized = o;
  sized.width = static_cast<int>(left + cell * cols + 16);
  sized.height = static_cast<int>(top + cell * rows + 48);
  std::string svg =
      detail::open_svg(sized, "heatmap") + "<g class=\"cells\" text-anchor=\"middle\">\n";
  for (int r = 0; r < rows; ++r) {
    std::int64_t total = 0;
    for (int c = 0; c < cols; ++c) {
      const auto v = counts[static_cast<std::size_t>(r * cols + c)];
      if (v < 0)
        throw dae::Error("heatmap: negative count at row " + std::to_string(r) + ", column " +
                         std::to_string(c));
      total += v;
    }
    for (int c = 0; c < cols; ++c) {
      const auto v = counts[static_cast<std::size_t>(r * cols + c)];
      const double share = total > 0 ? static_cast<double>(v) / static_cast<double>(total) : 0.0;
      // White to Tableau blue (31, 119, 180) by the share of the row.
      const auto mix = [&](int full) {
        return static_cast<int>(std::lround(255 + (full - 255) * share));
      };
      char fill[16];
      std::snprintf(fill, sizeof fill, "#%02x%02x%02x", mix(31), mix(119), mix(180));
      const double x = left + cell * c, y = top + cell * r;
      svg += "<g><title>digit " + std::to_string(r) + ", " + escape(o.x_label) + " " +
             std::to_string(c) + ": " + count(v) + " (" + number(100.0 * share, 1) +
             " % of digit " + std::to_string(r) + ")</title><rect x=\"" + number(x, 0) + "\" y=\"" +
             number(y, 0) + "\" width=\"" + number(cell, 0) + "\" height=\"" + number(cell, 0) +
             "\" fill=\"" + fill + "\" stroke=\"#fff\"/><text x=\"" + number(x + cell / 2, 0) +
             "\" y=\"" + number(y + cell / 2 + 4, 0) + "\" font-size=\"11\" fill=\"" +
             (share > 0.5 ? "#fff" : "#222") + "\">" + std::to_string(v) + "</text></g>\n";
    }
  }
  svg += "</g>\n<g fill=\"#333\" text-anchor=\"middle\">";
  for (int c = 0; c < cols; ++c) {
    svg += "<text x=\"" + number(left + cell * c + cell / 2, 0) + "\" y=\"" +
           number(top + cell * rows + 16, 0) + "\">" + std::to_string(c) + "</text>";
  }
  for (int r = 0; r < rows; ++r) {
    svg += "<text x=\"" + number(left - 12, 0) + "\" y=\"" +
           number(top + cell * r + cell / 2 + 4, 0) + "\">" + std::to_string(r) + "</text>";
  }
  svg += "</g>\n<text x=\"" + number(left + cell * cols / 2, 0) + "\" y=\"" +
         number(top + cell * rows + 36, 0) + "\" text-anchor=\"middle\">" + escape(o.x_label) +
         "</text>\n<text transform=\"translate(20 " + number(top + cell * rows / 2, 0) +
         ") rotate(-90)\" text-anchor=\"middle\">" + escape(o.y_label) + "</text>\n";
  return svg + "</svg>\n";
}

}  // namespace dae_mnist::svg
