// Tests of examples/dae_mnist/svg_charts.hpp (report.html's charts): each chart is one <svg> with
// its title, ticks and legend, every point or cell drawn once with its hover text, text escaped,
// and bad input an error. That a browser draws them is test_report_browser's part.
#include "svg_charts.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "io/test_util.hpp"

using namespace dae::test;
namespace svg = dae_mnist::svg;

namespace {

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("svg: nice ticks and numbers", "[cli][svg]") {
  const auto t = svg::nice_ticks(0.0213, 0.0671, 6);
  CHECK(t.values.front() <= 0.0213);
  CHECK(t.values.back() >= 0.0671);
  CHECK(t.decimals == 2);
  CHECK(svg::nice_ticks(1, 30, 8).values.size() == 7);  // 0, 5, ..., 30
  CHECK(svg::nice_ticks(2, 2, 5).values.size() >= 2);   // one value still makes an axis
  CHECK(svg::count(48000) == "48,000");
  CHECK(svg::count(999) == "999");
  CHECK(svg::escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
}

TEST_CASE("svg: loss curves, a dot per finite point with its value on hover", "[cli][svg]") {
  std::vector<svg::Series> series{{"train", {1, 2, 3}, {0.05, 0.03, 0.025}},
                                  {"validation", {1, 2, 3}, {0.06, NAN, 0.03}}};
  const auto chart =
      svg::line_chart(series, {.title = "MSE <loss>", .x_label = "epoch", .y_label = "loss"});
  CHECK(chart.starts_with("<svg class=\"chart line-chart\""));
  CHECK(occurrences(chart, "<polyline") == 2);
  CHECK(occurrences(chart, "<title>") == 5);  // the NaN is left out
  CHECK(chart.find("<title>train, epoch 2: 0.030000</title>") != std::string::npos);
  CHECK(chart.find("MSE &lt;loss&gt;") != std::string::npos);
  CHECK(chart.find(">1.5<") == std::string::npos);  // whole epochs, whole ticks
  series[0].y.pop_back();
  require_error([&] { (void)svg::line_chart(series, {}); }, {"'train'", "different lengths"});
  const std::vector<svg::Series> none{{"x", {1}, {NAN}}};
  require_error([&] { (void)svg::line_chart(none, {}); }, {"no finite points"});
}

TEST_CASE("svg: scatter plot draws every point, classes interleaved, with a legend", "[cli][svg]") {
  std::vector<float> plane;
  std::vector<int> classes;
  for (int i = 0; i < 2500; ++i) {
    plane.push_back(static_cast<float>(std::cos(i * 0.01) * (1 + i % 10)));
    plane.push_back(static_cast<float>(std::sin(i * 0.01) * (1 + i % 10)));
    classes.push_back(i % 10);
  }
  const auto chart = svg::scatter_plot(plane, classes,
                                       {.title = "codes", .x_label = "PC1", .y_label = "PC2"}, 100);
  CHECK(occurrences(chart, "h0") == 2500);
  CHECK(occurrences(chart, "<path ") == 10 * 3);  // 250 points a class, chunks of 100
  // Interleaved: the second chunk of digit 0 comes after the first chunk of digit 9.
  CHECK(chart.find("data-digit=\"9\"") <
        chart.find("data-digit=\"0\"", chart.find("data-digit=\"0\"") + 1));
  CHECK(chart.find("9  (250)") != std::string::npos);
  classes[7] = 10;
  require_error([&] { (void)svg::scatter_plot(plane, classes, {}); }, {"class 10", "index 7"});
  classes.pop_back();
  require_error([&] { (void)svg::scatter_plot(plane, classes, {}); }, {"scatter plot"});
}

TEST_CASE("svg: confusion heatmap, a cell per count with its share of the row", "[cli][svg]") {
  std::vector<std::int64_t> m(100, 0);
  for (int r = 0; r < 10; ++r) m[static_cast<std::size_t>(r * 10 + r)] = 90;
  m[5 * 10 + 3] = 10;
  const auto chart = svg::heatmap(
      m, 10, 10, {.title = "confusion", .x_label = "predicted digit", .y_label = "digit"});
  CHECK(occurrences(chart, "<rect ") == 100);
  CHECK(chart.find("<title>digit 5, predicted digit 3: 10 (10.0 % of digit 5)</title>") !=
        std::string::npos);
  CHECK(chart.find("fill=\"#1f77b4\"") !=
        std::string::npos);  // a whole row in one cell: the full colour
  require_error([&] { (void)svg::heatmap(m, 10, 9, {}); }, {"heatmap"});
  m[3] = -1;
  require_error([&] { (void)svg::heatmap(m, 10, 10, {}); }, {"negative"});
}
