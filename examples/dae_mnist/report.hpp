// The report of `dae_mnist run`: one HTML page, opened in a browser from the file system, that
// shows what the run did: the loss table and curves, every epoch's reconstructions (a slider),
// generated digits, the latent traversal, the clustering scores (k-means, the reference, and the
// graph clustering side by side), both confusion matrices and the latent codes on their first
// two principal components. The charts are SVG written into the page (svg_charts.hpp): real
// fonts, ticks, values on hover, every one of the codes drawn. The digit pictures are PNGs,
// linked, not embedded. Nothing is fetched from the network.
#pragma once

#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dae/cluster/evaluate.hpp"
#include "dae/io/atomic_file.hpp"
#include "svg_charts.hpp"
#include "train.hpp"

namespace dae_mnist {

inline std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f %%", 100.0 * fraction);
  return text;
}

inline std::string fixed(double value, int digits) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

/// The confusion matrix of a clustering as the report draws it: greedy mapping when one-to-one,
/// majority vote otherwise (as confusion.png).
inline std::string confusion_svg(const ClusteringRun& run, const std::string& name) {
  const bool one_to_one = run.scores.one_to_one;
  const auto m = one_to_one ? run.scores.confusion_greedy() : run.scores.confusion_majority();
  return svg::heatmap(
      m.counts, m.rows, m.cols,
      {.title = name + ": confusion (" + (one_to_one ? "greedy" : "majority") + " mapping)",
       .x_label = "predicted digit",
       .y_label = "digit"});
}

/// @param pictures the reconstructions of every epoch, in order (the slider's frames)
/// @param plane the codes on their first two principal components, (N, 2) row-major
/// @param labels the N codes' digits
inline void write_report(const fs::path& path, const TrainOptions& options,
                         const std::vector<EpochMetrics>& metrics,
                         const std::vector<fs::path>& pictures,
                         const ClusteringComparison& clusters, std::span<const float> plane,
                         std::span<const int> labels) {
  auto rel = [&](const fs::path& p) { return fs::relative(p, path.parent_path()).generic_string(); };
  std::string html = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dae_mnist run</title>
<style>
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #eee;text-align:right}
th{background:#f6f6f6}img{max-width:100%;image-rendering:pixelated;border:1px solid #eee}
svg.chart{max-width:100%;height:auto;border:1px solid #eee;background:#fff}
.charts{display:flex;flex-wrap:wrap;gap:1em}
.series circle:hover{r:6}.cells g:hover rect{stroke:#222}
.note{color:#555;font-size:.92em}
</style></head><body>
<h1>Denoising autoencoder on MNIST, 4-D latent space</h1>
)";
  html += "<p class=\"note\">" + std::to_string(metrics.size()) + " epochs, batch " + std::to_string(options.batch) +
          ", Adam lr " + fixed(options.lr, 4) + ", noise " + fixed(options.noise, 2) + ", seed " +
          std::to_string(options.seed) + ". Data: " + options.data.string() + ".</p>\n";
  // Every epoch's reconstructions behind one slider (a few lines of inline script: the page
  // needs no network); without script the last epoch's picture stays.
  std::string frames;
  for (const auto& picture : pictures)
    frames += (frames.empty() ? "\"" : ",\"") + rel(picture) + "\"";
  const std::string last = std::to_string(pictures.size());
  html +=
      "<h2>Reconstructions</h2><p class=\"note\">Rows: test digits, their noisy versions (the "
      "input), the "
      "reconstructions after the epoch chosen below.</p>\n"
      "<p><label>epoch <input id=\"epoch\" type=\"range\" min=\"1\" max=\"" +
      last + "\" value=\"" + last + "\"> <output id=\"epoch_shown\">" + last + "</output> of " +
      last +
      "</label></p>\n"
      "<img id=\"reconstructions\" src=\"" +
      rel(pictures.back()) +
      "\" alt=\"reconstructions\">\n"
      "<script>\n(() => {\n  const frames = [" +
      frames +
      "];\n"
      "  const slider = document.getElementById(\"epoch\");\n"
      "  slider.addEventListener(\"input\", () => {\n"
      "    document.getElementById(\"reconstructions\").src = frames[slider.value - 1];\n"
      "    document.getElementById(\"epoch_shown\").textContent = slider.value;\n  "
      "});\n})();\n</script>\n";
  html += "<h2>Generated digits</h2><p class=\"note\">Nine codes drawn from N(0, I), decoded.</p>";
  html += "<img src=\"generated.png\" alt=\"generated digits\">\n";
  html +=
      "<h2>Latent traversal</h2><p class=\"note\">Row d: the mean code of the training images with "
      "dimension d swept from its 2nd to its 98th percentile, decoded (dae_mnist traverse).</p>";
  html += "<img src=\"traversal.png\" alt=\"latent traversal\">\n";
  std::vector<svg::Series> curves{{"train", {}, {}}, {"validation", {}, {}}};
  for (const auto& m : metrics) {
    curves[0].x.push_back(m.epoch);
    curves[0].y.push_back(m.train_loss);
    curves[1].x.push_back(m.epoch);
    curves[1].y.push_back(m.val_loss);
  }
  html +=
      "<h2>Loss</h2><p class=\"note\">Mean squared error per pixel; hover a dot for its "
      "value.</p>\n" +
      svg::line_chart(curves, {.width = 720,
                               .height = 380,
                               .title = "MSE loss",
                               .x_label = "epoch",
                               .y_label = "loss"}) +
      "<table><tr><th>epoch</th><th>train loss</th>"
      "<th>validation loss</th><th>seconds</th><th>images/s</th></tr>\n";
  for (const auto& m : metrics) {
    html += "<tr><td>" + std::to_string(m.epoch) + "</td><td>" + fixed(m.train_loss, 6) + "</td><td>" +
            fixed(m.val_loss, 6) + "</td><td>" + fixed(m.seconds, 2) + "</td><td>" + fixed(m.images_per_second, 0) +
            "</td></tr>\n";
  }
  html += "</table>\n<h2>Clustering the latent codes</h2>";
  const auto& km = clusters.kmeans.scores;
  const auto& gr = clusters.graph.scores;
  html += "<p class=\"note\">The codes of the " + std::to_string(clusters.kmeans.assignments.size()) +
          " clean training images, clustered two ways: k-means (the reference: k-means++, " +
          std::to_string(clusters.kmeans.json["n_init"].get<int>()) +
          " restarts, best by inertia) and the graph recipe (kNN graph, k-means micro-clusters merged by modularity, "
          "point moves, restarts kept by modularity; no label is used). Clusters mapped to digits three ways.</p>\n";
  auto both = [&](const std::string& name, const std::string& a, const std::string& b) {
    return "<tr><th>" + name + "</th><td>" + a + "</td><td>" + b + "</td></tr>";
  };
  auto one_to_one = [](const dae::cluster::ClusterScores& s, double value) {
    return s.one_to_one ? percent(value) : std::string("n/a (k &gt; 10)");
  };
  html += "<table><tr><th></th><th>k-means</th><th>graph</th></tr>";
  html += both("accuracy, raw cluster ids", percent(km.accuracy_raw), percent(gr.accuracy_raw));
  html += both("accuracy, greedy reassignment (reference)", one_to_one(km, km.accuracy_greedy), one_to_one(gr, gr.accuracy_greedy));
  html += both("accuracy, optimal one-to-one (Hungarian)", one_to_one(km, km.accuracy_hungarian),
               one_to_one(gr, gr.accuracy_hungarian));
  html += both("accuracy, majority vote", percent(km.accuracy_majority), percent(gr.accuracy_majority));
  html += both("NMI", fixed(km.nmi, 4), fixed(gr.nmi, 4));
  html += both("ARI", fixed(km.ari, 4), fixed(gr.ari, 4));
  html += both("seconds", fixed(clusters.kmeans.seconds, 2), fixed(clusters.graph.seconds, 2));
  html += both("inertia / modularity", fixed(clusters.kmeans.json["inertia"].get<double>(), 1),
               fixed(clusters.graph.json["modularity"].get<double>(), 4));
  html += "</table>\n";
  html += "<p class=\"note\">The reference run reported 11.83 % before and 66.69 % after the greedy reassignment.</p>";
  html +=
      "<p class=\"note\">Row: a code's digit; column: the digit its cluster was mapped to. The "
      "shade is the "
      "share of the row; hover a cell for it.</p>\n<div class=\"charts\">\n" +
      confusion_svg(clusters.kmeans, "k-means") +
      confusion_svg(clusters.graph, "graph clustering") + "</div>\n";
  html += "<h2>Latent space</h2><p class=\"note\">All " +
          svg::count(static_cast<std::int64_t>(labels.size())) +
          " codes on their first two principal components, coloured by digit (the legend counts "
          "them; hover a dot "
          "for its digit). Drawn in interleaved chunks of every digit, so none lies wholly under "
          "the others.</p>\n" +
          svg::scatter_plot(plane, labels,
                            {.width = 760,
                             .height = 600,
                             .title = "Latent codes (PCA)",
                             .x_label = "PC1",
                             .y_label = "PC2"});
  html +=
      "<p class=\"note\">Files: model.safetensors, metrics.jsonl, codes.npy, labels.npy, "
      "clusters.json, "
      "assignments.npy, assignments_graph.npy; PNG copies of the charts: loss.png, confusion.png "
      "(k-means), "
      "latent.png.</p>\n</body></html>\n";
  dae::io::write_file_atomic(path, std::string_view(html));
}

}  // namespace dae_mnist
