// The model-using subcommands of dae_mnist: encode, reconstruct, generate and cluster, each a
// function of parsed flags that reads its inputs strictly, computes, and writes its outputs
// atomically (a failure leaves no partial file).
#pragma once

#include <Eigen/Eigenvalues>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/cluster/evaluate.hpp"
#include "dae/data/images.hpp"
#include "dae/data/noise.hpp"
#include "dae/io/image_grid.hpp"
#include "dae/io/npy.hpp"
#include "dae/io/plot.hpp"
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
  const auto codes = encode_all(model, images);
  dae::io::write_npy<float>(out, {static_cast<std::int64_t>(images.size()), 4}, codes);
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
  int k = 10;
  int n_init = 20;
  int max_iter = 10000;
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

/// Clusters codes, scores them against labels and writes clusters.json, assignments.npy,
/// confusion.png and latent.png into `out`. Returns the report.
inline dae::cluster::ClusterReport cluster_codes(const std::vector<float>& codes, int dim, const std::vector<int>& labels,
                                                 const ClusterOptions& options, const fs::path& out) {
  dae::io::ensure_writable_directory(out);
  dae::cluster::KMeansOptions kmeans{.k = options.k, .n_init = options.n_init, .max_iter = options.max_iter,
                                     .tol = 1e-4, .seed = options.seed, .threads = options.threads};
  const auto report = dae::cluster::cluster_and_score(codes, dim, labels, 10, kmeans);
  nlohmann::ordered_json j;
  j["n"] = labels.size();
  j["k"] = options.k;
  j["n_init"] = options.n_init;
  j["seed"] = options.seed;
  j["inertia"] = report.kmeans.inertia;
  j["iterations"] = report.kmeans.iterations;
  j["converged"] = report.kmeans.converged;
  j["accuracy_raw"] = report.accuracy_raw;
  j["accuracy_greedy"] = report.accuracy_greedy;
  j["accuracy_hungarian"] = report.accuracy_hungarian;
  j["accuracy_majority"] = report.accuracy_majority;
  j["nmi"] = report.nmi;
  j["ari"] = report.ari;
  j["mapping_greedy"] = mapping_json(report.greedy);
  j["mapping_hungarian"] = mapping_json(report.hungarian);
  j["confusion_matrix_greedy"] = matrix_json(report.confusion_greedy());
  j["confusion_matrix_hungarian"] = matrix_json(report.confusion_hungarian());
  j["contingency"] = matrix_json(report.contingency);
  j["warnings"] = report.kmeans.warnings;
  dae::io::write_file_atomic(out / "clusters.json", std::string_view(j.dump(2) + "\n"));
  std::vector<std::int64_t> assignments(report.kmeans.labels.begin(), report.kmeans.labels.end());
  dae::io::write_npy<std::int64_t>(out / "assignments.npy", {static_cast<std::int64_t>(assignments.size())}, assignments);

  const auto confusion = report.confusion_greedy();
  dae::io::write_png(out / "confusion.png",
                     dae::io::heatmap(confusion.counts, confusion.rows, confusion.cols,
                                      {.title = "CONFUSION (GREEDY MAPPING)", .x_label = "PREDICTED", .y_label = "DIGIT"}));
  const auto plane = principal_plane(codes, dim);  // (N, 2) row-major
  const std::vector<std::int32_t> classes(labels.begin(), labels.end());
  dae::io::write_png(out / "latent.png",
                     dae::io::scatter_plot(plane, 2, classes, {.width = 720, .height = 560, .title = "LATENT CODES (PCA)",
                                                                .x_label = "PC1", .y_label = "PC2"}));
  return report;
}

/// Reads (N, D) float32 codes from a .npy file.
inline std::vector<float> read_codes(const fs::path& path, int& dim) {
  const auto array = dae::io::read_npy(path);
  if (array.dtype != dae::io::NpyDType::F32 || array.shape.size() != 2 || array.shape[0] < 1 || array.shape[1] < 1) {
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

}  // namespace dae_mnist
