// The model-using subcommands of dae_mnist: encode, reconstruct, generate and cluster, each a
// function of parsed flags that reads its inputs strictly, computes, and writes its outputs
// atomically (a failure leaves no partial file).
#pragma once

#include <Eigen/Eigenvalues>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/cluster/evaluate.hpp"
#include "dae/data/images.hpp"
#include "dae/data/noise.hpp"
#include "dae/io/image_grid.hpp"
#include "dae/io/npy.hpp"
#include "dae/io/png.hpp"
#include "train.hpp"

namespace dae_mnist {

/// A model loaded from --model, in evaluation mode.
template <class Model>
void load_model(Model& model, const fs::path& path) {
  model.load(path);
  model.eval();
}

/// Runs `fn(first, clean_batch)` over the images in batches, in evaluation mode.
template <class Fn>
void for_each_batch(const dae::data::ImageSet& images, std::int64_t batch, Fn&& fn) {
  HostImages clean;
  const auto count = static_cast<std::int64_t>(images.size());
  for (std::int64_t first = 0; first < count; first += batch) {
    const std::int64_t size = std::min(batch, count - first);
    clean.resize(size);
    images.to_float(first, size, std::span<float>(clean.data(), static_cast<std::size_t>(clean.matrix().size())));
    fn(first, clean);
  }
}

/// Encodes every image: (N, 4) float32 codes.
template <class Model>
std::vector<float> encode_all(Model& model, const dae::data::ImageSet& images) {
  std::vector<float> codes(images.size() * 4);
  HostCodes batch_codes;
  for_each_batch(images, 1024, [&](std::int64_t first, const HostImages& clean) {
    model.encode(clean, batch_codes);
    std::copy_n(batch_codes.data(), batch_codes.matrix().size(), codes.begin() + first * 4);
  });
  return codes;
}

inline dae::data::ImageSet load_model_images(const fs::path& path) {
  auto images = dae::data::load_images(path);
  images.require_size(28, 28);
  if (images.size() == 0) throw dae::Error(path.string() + ": holds no images");
  return images;
}

/// dae_mnist encode --model FILE --images FILE --out codes.npy
template <class Model>
void encode_command(const fs::path& model_path, const fs::path& images_path, const fs::path& out) {
  Model model;
  load_model(model, model_path);
  const auto images = load_model_images(images_path);
  // The forward passes alone, the part a benchmark compares with another library's (reading and
  // writing files are the same work whatever computes the codes).
  const auto start = std::chrono::steady_clock::now();
  const auto codes = encode_all(model, images);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  dae::io::write_npy<float>(out, {static_cast<std::int64_t>(images.size()), 4}, codes);
  std::printf("encoded %zu images in %.3f s (forward passes)\n", images.size(), seconds);
}

/// dae_mnist reconstruct --model FILE --images FILE [--noise F --seed S] --out images.npy
template <class Model>
void reconstruct_command(const fs::path& model_path, const fs::path& images_path, double noise,
                                std::uint64_t seed, const fs::path& out) {
  Model model;
  load_model(model, model_path);
  const auto images = load_model_images(images_path);
  std::vector<float> result(images.size() * 784);
  HostImages noisy, reconstructed;
  for_each_batch(images, 1024, [&](std::int64_t first, const HostImages& clean) {
    noisy = clean;
    if (noise > 0) {
      std::vector<std::int64_t> ids(static_cast<std::size_t>(clean.batch()));
      for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = first + static_cast<std::int64_t>(i);
      dae::data::add_noise(clean.data(), noisy.data(), ids, 784, static_cast<float>(noise), seed, dae::data::kPictureNoiseStream);
    }
    model.reconstruct(noisy, reconstructed);
    std::copy_n(reconstructed.data(), reconstructed.matrix().size(), result.begin() + first * 784);
  });
  dae::io::write_npy<float>(out, {static_cast<std::int64_t>(images.size()), 1, 28, 28}, result);
}

/// Decodes `n` codes drawn from N(0, I) with `seed` into a near-square grid picture.
template <class Model>
void generate_grid(Model& model, int n, std::uint64_t seed, const fs::path& out) {
  HostCodes codes(n);
  dae::Rng rng(seed, /*stream=*/0x6E4);
  for (Eigen::Index i = 0; i < codes.matrix().size(); ++i) codes.data()[i] = static_cast<float>(rng.normal());
  HostImages images;
  model.decode(codes, images);
  const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int rows = (n + cols - 1) / cols;
  dae::io::write_png(out, dae::io::tile_images(std::span<const float>(images.data(), static_cast<std::size_t>(images.matrix().size())),
                                               n, 28, 28, {.rows = rows, .cols = cols, .scale = 4, .gap = 4}));
}

/// dae_mnist generate --model FILE [--n 9] [--seed 1] --out grid.png
template <class Model>
void generate_command(const fs::path& model_path, int n, std::uint64_t seed, const fs::path& out) {
  Model model;
  load_model(model, model_path);
  generate_grid(model, n, seed, out);
}

struct ClusterOptions {
  std::string method = "kmeans";  // kmeans (the reference) or graph
  int k = 10;
  int n_init = 20;
  int max_iter = 10000;
  int neighbors = 15;        // graph only
  int micro_clusters = 150;  // graph only
  int restarts = 8;          // graph only
  int consensus_rounds = 2;  // graph only
  std::uint64_t seed = 0;
  int threads = 0;
};

/// The first two principal components of (N, D) points, (N, 2) row-major, for a picture of the
/// latent space.
inline std::vector<float> principal_plane(const std::vector<float>& points, int dim) {
  const auto n = static_cast<Eigen::Index>(points.size() / static_cast<std::size_t>(dim));
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>> x(points.data(), dim, n);  // (D, N)
  const Eigen::MatrixXd centred = x.cast<double>().colwise() - x.cast<double>().rowwise().mean();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(centred * centred.transpose() / static_cast<double>(n));
  const Eigen::MatrixXd axes = solver.eigenvectors().rightCols(2).rowwise().reverse();  // largest first
  const Eigen::MatrixXf plane = (axes.transpose() * centred).cast<float>();             // (2, N)
  return {plane.data(), plane.data() + plane.size()};
}

inline nlohmann::ordered_json mapping_json(const dae::cluster::Mapping& mapping) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < mapping.size(); ++c) j[std::to_string(c)] = mapping[c];
  return j;
}

inline nlohmann::ordered_json matrix_json(const dae::cluster::CountMatrix& m) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (int r = 0; r < m.rows; ++r) {
    nlohmann::ordered_json row = nlohmann::ordered_json::array();
    for (int c = 0; c < m.cols; ++c) row.push_back(m(r, c));
    rows.push_back(row);
  }
  return rows;
}

/// The scores of a clustering, in clusters.json's keys and order. The one-to-one entries are
/// null when k exceeds the number of classes (`notes` then says so).
inline void add_scores_json(nlohmann::ordered_json& j, const dae::cluster::ClusterScores& s) {
  const nlohmann::ordered_json none = nullptr;
  j["accuracy_raw"] = s.accuracy_raw;
  j["accuracy_greedy"] = s.one_to_one ? nlohmann::ordered_json(s.accuracy_greedy) : none;
  j["accuracy_hungarian"] = s.one_to_one ? nlohmann::ordered_json(s.accuracy_hungarian) : none;
  j["accuracy_majority"] = s.accuracy_majority;
  j["nmi"] = s.nmi;
  j["ari"] = s.ari;
  j["mapping_greedy"] = s.one_to_one ? mapping_json(s.greedy) : none;
  j["mapping_hungarian"] = s.one_to_one ? mapping_json(s.hungarian) : none;
  if (!s.one_to_one) j["mapping_majority"] = mapping_json(s.majority);
  j["confusion_matrix_greedy"] = s.one_to_one ? matrix_json(s.confusion_greedy()) : none;
  j["confusion_matrix_hungarian"] = s.one_to_one ? matrix_json(s.confusion_hungarian()) : none;
  if (!s.one_to_one) j["confusion_matrix_majority"] = matrix_json(s.confusion_majority());
  j["contingency"] = matrix_json(s.contingency);
}

/// One clustering of the codes by one method, scored: what clusters.json, assignments.npy and
/// the report are written from.
struct ClusteringRun {
  std::string method;                 // kmeans or graph
  dae::cluster::ClusterScores scores;
  std::vector<int> assignments;       // (N) cluster of each code
  std::vector<std::string> warnings;  // the method's own, then the scores' notes
  std::string summary;                // one line: what the method converged to
  double seconds = 0.0;               // the clustering itself, not the scoring
  nlohmann::ordered_json json;        // the method's entries of clusters.json
};

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Lloyd k-means (the reference) on the codes, scored. Its JSON is the reference's, unchanged.
inline ClusteringRun run_kmeans(const std::vector<float>& codes, int dim, const std::vector<int>& labels,
                                const ClusterOptions& options) {
  dae::cluster::KMeansOptions kmeans{.k = options.k, .n_init = options.n_init, .max_iter = options.max_iter,
                                     .tol = 1e-4, .seed = options.seed, .threads = options.threads};
  (void)dae::cluster::class_means(codes, dim, labels, 10);  // bad labels are reported before clustering
  const auto start = std::chrono::steady_clock::now();
  const auto result = dae::cluster::kmeans(codes, dim, kmeans);
  ClusteringRun run;
  run.method = "kmeans";
  run.seconds = seconds_since(start);
  run.scores = dae::cluster::score_clusters(codes, dim, result.labels, result.centres, result.k, labels, 10);
  run.assignments = result.labels;
  run.warnings = result.warnings;
  char line[160];
  std::snprintf(line, sizeof line, "k-means: inertia %.2f after %d iterations", result.inertia, result.iterations);
  run.summary = line;
  auto& j = run.json;
  j["n"] = labels.size();
  j["k"] = options.k;
  j["n_init"] = options.n_init;
  j["seed"] = options.seed;
  j["inertia"] = result.inertia;
  j["iterations"] = result.iterations;
  j["converged"] = result.converged;
  add_scores_json(j, run.scores);
  j["warnings"] = result.warnings;
  if (!run.scores.notes.empty()) j["notes"] = run.scores.notes;
  j["seconds"] = run.seconds;  // the fit alone, as the graph recipe's
  run.warnings.insert(run.warnings.end(), run.scores.notes.begin(), run.scores.notes.end());
  return run;
}

/// The graph recipe (<dae/cluster/graph.hpp>) on the codes, scored.
inline ClusteringRun run_graph(const std::vector<float>& codes, int dim, const std::vector<int>& labels,
                               const ClusterOptions& options) {
  dae::cluster::GraphClusterOptions graph;  // the library's defaults for what has no flag
  graph.k = options.k;
  graph.neighbors = options.neighbors;
  graph.micro_clusters = std::max(options.micro_clusters, options.k);
  graph.restarts = options.restarts;
  graph.consensus_rounds = options.consensus_rounds;
  graph.seed = options.seed;
  graph.threads = options.threads;
  (void)dae::cluster::class_means(codes, dim, labels, 10);
  const auto start = std::chrono::steady_clock::now();
  const auto result = dae::cluster::graph_cluster(codes, dim, graph);
  ClusteringRun run;
  run.method = "graph";
  run.seconds = seconds_since(start);
  run.scores = dae::cluster::score_clusters(codes, dim, result.labels, result.centres, result.k, labels, 10);
  run.assignments = result.labels;
  run.warnings = result.warnings;
  char line[200];
  std::snprintf(line, sizeof line, "graph clustering: modularity %.4f (restart %d of %d), %d point moves, %.2f s",
                result.modularity, result.best_restart, graph.restarts, result.moves, run.seconds);
  run.summary = line;
  auto& j = run.json;
  j["method"] = "graph";
  j["n"] = labels.size();
  j["k"] = options.k;
  j["neighbors"] = graph.neighbors;
  j["micro_clusters"] = graph.micro_clusters;
  j["restarts"] = graph.restarts;
  j["consensus_rounds"] = graph.consensus_rounds;
  j["consensus_threshold"] = graph.consensus_threshold;
  j["resolution"] = graph.resolution;
  j["weights"] = graph.weights == dae::cluster::GraphWeights::shared_neighbors ? "shared_neighbors" : "knn_count";
  j["seed"] = options.seed;
  j["modularity"] = result.modularity;
  j["best_restart"] = result.best_restart;
  j["restart_modularity"] = result.restart_modularity;
  j["moves"] = result.moves;
  add_scores_json(j, run.scores);
  j["warnings"] = result.warnings;
  if (!run.scores.notes.empty()) j["notes"] = run.scores.notes;
  j["seconds"] = run.seconds;
  run.warnings.insert(run.warnings.end(), run.scores.notes.begin(), run.scores.notes.end());
  return run;
}

/// Checks that the codes can be cut into --k clusters at all; a data error naming both.
inline void require_enough_codes(std::size_t n, const ClusterOptions& options, const std::string& source) {
  if (static_cast<std::size_t>(options.k) > n)
    throw dae::Error("--k " + std::to_string(options.k) + " is more than the " + std::to_string(n) + " codes in " + source);
}

/// The confusion picture of a run: greedy mapping when one-to-one, majority vote otherwise.
inline void write_confusion_png(const ClusteringRun& run, const fs::path& path) {
  const bool one_to_one = run.scores.one_to_one;
  const auto confusion = one_to_one ? run.scores.confusion_greedy() : run.scores.confusion_majority();
  const std::string title = std::string(run.method == "graph" ? "GRAPH " : "") +
                            (one_to_one ? "CONFUSION (GREEDY MAPPING)" : "CONFUSION (MAJORITY MAPPING)");
  dae::io::write_png(path,
                     plot::heatmap(confusion.counts, confusion.rows, confusion.cols,
                                   {.title = title, .x_label = "PREDICTED", .y_label = "DIGIT"}));
}

inline void write_assignments(const ClusteringRun& run, const fs::path& path) {
  const std::vector<std::int64_t> assignments(run.assignments.begin(), run.assignments.end());
  dae::io::write_npy<std::int64_t>(path, {static_cast<std::int64_t>(assignments.size())}, assignments);
}

/// The picture of the codes on their first two principal components, coloured by label, as PNG
/// bytes (written by the caller once the clustering has succeeded).
inline std::vector<std::byte> latent_png(const std::vector<float>& codes, int dim,
                                         const std::vector<int>& labels) {
  const auto plane = principal_plane(codes, dim);  // (N, 2) row-major
  const std::vector<std::int32_t> classes(labels.begin(), labels.end());
  return dae::io::encode_png(plot::scatter_plot(plane, 2, classes,
                                                {.width = 720,
                                                 .height = 560,
                                                 .title = "LATENT CODES (PCA)",
                                                 .x_label = "PC1",
                                                 .y_label = "PC2"}));
}

/// latent_png on a thread of its own: it depends on the codes and labels alone, and drawing and
/// encoding it is serial work (about 10 ms for 48,000 codes) that would otherwise leave a core
/// idle after the clustering; started before the clustering, it overlaps with it.
inline std::future<std::vector<std::byte>> start_latent_png(const std::vector<float>& codes,
                                                            int dim,
                                                            const std::vector<int>& labels) {
  return std::async(std::launch::async,
                    [&codes, dim, &labels] { return latent_png(codes, dim, labels); });
}

/// `dae_mnist cluster`: clusters the codes with options.method, scores them against labels and
/// writes clusters.json, assignments.npy, confusion.png and latent.png into `out`.
inline ClusteringRun cluster_codes(const std::vector<float>& codes, int dim, const std::vector<int>& labels,
                                   const ClusterOptions& options, const fs::path& out) {
  dae::io::ensure_writable_directory(out);
  auto latent = start_latent_png(codes, dim, labels);
  const ClusteringRun run = options.method == "graph" ? run_graph(codes, dim, labels, options)
                                                      : run_kmeans(codes, dim, labels, options);
  dae::io::write_file_atomic(out / "clusters.json", std::string_view(run.json.dump(2) + "\n"));
  write_assignments(run, out / "assignments.npy");
  write_confusion_png(run, out / "confusion.png");
  dae::io::write_file_atomic(out / "latent.png", latent.get());
  return run;
}

/// The two methods side by side, as `dae_mnist run` reports them.
struct ClusteringComparison {
  ClusteringRun kmeans;
  ClusteringRun graph;
};

/// `dae_mnist run`: k-means (the reference, the top level of clusters.json and assignments.npy)
/// and the graph recipe (clusters.json's "graph" entry, assignments_graph.npy), each with the
/// seconds it took. confusion.png and latent.png are cluster's pictures, written here too; the
/// graph clustering's confusion matrix is drawn in report.html only.
inline ClusteringComparison cluster_codes_both(const std::vector<float>& codes, int dim, const std::vector<int>& labels,
                                               const ClusterOptions& options, const fs::path& out) {
  dae::io::ensure_writable_directory(out);
  auto latent = start_latent_png(codes, dim, labels);
  ClusteringComparison both{run_kmeans(codes, dim, labels, options), run_graph(codes, dim, labels, options)};
  nlohmann::ordered_json j = both.kmeans.json;
  j["graph"] = both.graph.json;
  dae::io::write_file_atomic(out / "clusters.json", std::string_view(j.dump(2) + "\n"));
  write_assignments(both.kmeans, out / "assignments.npy");
  write_assignments(both.graph, out / "assignments_graph.npy");
  write_confusion_png(both.kmeans, out / "confusion.png");
  dae::io::write_file_atomic(out / "latent.png", latent.get());
  return both;
}

/// Reads (N, D) float32 codes from a .npy file.
inline std::vector<float> read_codes(const fs::path& path, int& dim) {
  const auto array = dae::io::read_npy(path);
  if (array.dtype != dae::io::DType::F32 || array.shape.size() != 2 || array.shape[0] < 1 ||
      array.shape[1] < 1) {
    throw dae::Error(path.string() + ": codes must be a float32 array of shape [N, D]");
  }
  dim = static_cast<int>(array.shape[1]);
  auto codes = array.values<float>();
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (!std::isfinite(codes[i])) {
      throw dae::Error(path.string() + ": code " + std::to_string(i / static_cast<std::size_t>(dim)) + " is not finite");
    }
  }
  return codes;
}

/// Where a latent traversal sweeps: the mean code, and per dimension the range swept.
struct LatentRange {
  std::vector<float> mean, low, high;
};

/// The traversal range of (N, dim) codes: their mean, and per dimension the 2nd to the 98th
/// percentile (the extreme codes of 48,000 are outliers; a sweep to them shows mostly blur).
inline LatentRange latent_range(const std::vector<float>& codes, int dim) {
  const std::size_t n = codes.size() / static_cast<std::size_t>(dim);
  LatentRange r{std::vector<float>(static_cast<std::size_t>(dim)),
                std::vector<float>(static_cast<std::size_t>(dim)),
                std::vector<float>(static_cast<std::size_t>(dim))};
  std::vector<float> column(n);
  for (int d = 0; d < dim; ++d) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i)
      sum += column[i] = codes[i * static_cast<std::size_t>(dim) + static_cast<std::size_t>(d)];
    r.mean[static_cast<std::size_t>(d)] = static_cast<float>(sum / static_cast<double>(n));
    const auto at = [&](double q) {
      auto nth = column.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(n - 1));
      std::nth_element(column.begin(), nth, column.end());
      return *nth;
    };
    r.low[static_cast<std::size_t>(d)] = at(0.02);
    r.high[static_cast<std::size_t>(d)] = at(0.98);
  }
  return r;
}

/// Without codes: the prior `generate` draws from, N(0, I): mean 0, each dimension over [-2, 2].
inline LatentRange prior_range(int dim) {
  const auto size = static_cast<std::size_t>(dim);
  return {std::vector<float>(size, 0.0f), std::vector<float>(size, -2.0f),
          std::vector<float>(size, 2.0f)};
}

/// The latent traversal: row d decodes the mean code with dimension d swept in `steps` equal
/// steps from range.low[d] to range.high[d]; one row per dimension of the code.
template <class Model>
void traverse_grid(Model& model, const LatentRange& range, int steps, const fs::path& out) {
  constexpr int dim = Model::code_shape::size;
  HostCodes codes(dim * steps);
  for (int d = 0; d < dim; ++d) {
    for (int j = 0; j < steps; ++j) {
      float* code = codes.sample(d * steps + j);
      std::copy(range.mean.begin(), range.mean.end(), code);
      const float t = static_cast<float>(j) / static_cast<float>(steps - 1);
      code[d] =
          range.low[static_cast<std::size_t>(d)] +
          t * (range.high[static_cast<std::size_t>(d)] - range.low[static_cast<std::size_t>(d)]);
    }
  }
  HostImages images;
  model.decode(codes, images);
  dae::io::write_png(
      out,
      dae::io::tile_images(
          std::span<const float>(images.data(), static_cast<std::size_t>(images.matrix().size())),
          dim * steps, 28, 28, {.rows = dim, .cols = steps, .scale = 3, .gap = 3}));
}

/// dae_mnist traverse --model FILE [--codes codes.npy] [--steps 11] --out grid.png
template <class Model>
void traverse_command(const fs::path& model_path, const fs::path& codes_path, int steps,
                      const fs::path& out) {
  constexpr int dim = Model::code_shape::size;
  Model model;
  load_model(model, model_path);
  LatentRange range = prior_range(dim);
  if (!codes_path.empty()) {
    int codes_dim = 0;
    const auto codes = read_codes(codes_path, codes_dim);
    if (codes_dim != dim) {
      throw dae::Error(codes_path.string() + ": codes have " + std::to_string(codes_dim) +
                       " dimensions, the model's " + std::to_string(dim));
    }
    range = latent_range(codes, dim);
  }
  model.eval();
  traverse_grid(model, range, steps, out);
}

}  // namespace dae_mnist
