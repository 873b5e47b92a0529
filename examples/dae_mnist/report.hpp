// The report of `dae_mnist run`: one HTML page, opened in a browser, that shows what the run did:
// the loss table and curves, the last reconstructions, generated digits, the clustering scores and
// the pictures of the confusion matrix and of the latent space. Pictures are linked, not embedded.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "dae/cluster/evaluate.hpp"
#include "dae/io/atomic_file.hpp"
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

inline void write_report(const fs::path& path, const TrainOptions& options, const std::vector<EpochMetrics>& metrics,
                         const fs::path& last_picture, const dae::cluster::ClusterReport& clusters) {
  auto rel = [&](const fs::path& p) { return fs::relative(p, path.parent_path()).generic_string(); };
  std::string html = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dae_mnist run</title>
<style>
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #eee;text-align:right}
th{background:#f6f6f6}img{max-width:100%;image-rendering:pixelated;border:1px solid #eee}
.note{color:#555;font-size:.92em}
</style></head><body>
<h1>Denoising autoencoder on MNIST, 4-D latent space</h1>
)";
  html += "<p class=\"note\">" + std::to_string(metrics.size()) + " epochs, batch " + std::to_string(options.batch) +
          ", Adam lr " + fixed(options.lr, 4) + ", noise " + fixed(options.noise, 2) + ", seed " +
          std::to_string(options.seed) + ". Data: " + options.data.string() + ".</p>\n";
  html += "<h2>Reconstructions</h2><p class=\"note\">Rows: test digits, their noisy versions (the input), the reconstructions.</p>";
  html += "<img src=\"" + rel(last_picture) + "\" alt=\"reconstructions\">\n";
  html += "<h2>Generated digits</h2><p class=\"note\">Nine codes drawn from N(0, I), decoded.</p>";
  html += "<img src=\"generated.png\" alt=\"generated digits\">\n";
  html += "<h2>Loss</h2><img src=\"loss.png\" alt=\"loss curves\">\n<table><tr><th>epoch</th><th>train loss</th>"
          "<th>validation loss</th><th>seconds</th><th>images/s</th></tr>\n";
  for (const auto& m : metrics) {
    html += "<tr><td>" + std::to_string(m.epoch) + "</td><td>" + fixed(m.train_loss, 6) + "</td><td>" +
            fixed(m.val_loss, 6) + "</td><td>" + fixed(m.seconds, 2) + "</td><td>" + fixed(m.images_per_second, 0) +
            "</td></tr>\n";
  }
  html += "</table>\n<h2>Clustering the latent codes</h2>";
  html += "<p class=\"note\">k-means (k = 10, k-means++, " + std::to_string(clusters.kmeans.init_inertia.size()) +
          " restarts) on the codes of the " + std::to_string(clusters.kmeans.labels.size()) +
          " clean training images; clusters mapped to digits three ways.</p>\n<table>";
  html += "<tr><th>accuracy, raw cluster ids</th><td>" + percent(clusters.accuracy_raw) + "</td></tr>";
  html += "<tr><th>accuracy, greedy reassignment (reference)</th><td>" + percent(clusters.accuracy_greedy) + "</td></tr>";
  html += "<tr><th>accuracy, optimal one-to-one (Hungarian)</th><td>" + percent(clusters.accuracy_hungarian) + "</td></tr>";
  html += "<tr><th>NMI</th><td>" + fixed(clusters.nmi, 4) + "</td></tr>";
  html += "<tr><th>ARI</th><td>" + fixed(clusters.ari, 4) + "</td></tr>";
  html += "<tr><th>inertia</th><td>" + fixed(clusters.kmeans.inertia, 1) + "</td></tr></table>\n";
  html += "<p class=\"note\">The reference run reported 11.83 % before and 66.69 % after the greedy reassignment.</p>";
  html += "<img src=\"confusion.png\" alt=\"confusion matrix\">\n<img src=\"latent.png\" alt=\"latent codes\">\n";
  html += "<p class=\"note\">Files: model.safetensors, metrics.jsonl, codes.npy, labels.npy, clusters.json, "
          "assignments.npy.</p>\n</body></html>\n";
  dae::io::write_file_atomic(path, std::string_view(html));
}

}  // namespace dae_mnist
