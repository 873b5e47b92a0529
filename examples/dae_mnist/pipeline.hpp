// The subcommands of dae_mnist that use a model (run, train, encode, reconstruct, generate,
// traverse), written once for any model type: main.cpp instantiates them with the CPU model,
// cuda_main.cu (compiled by nvcc when the CUDA backend is built) with dae::Autoencoder<4,
// dae::cuda>. The model-free `cluster` command lives here too. They take a parsed Command: the
// parsing itself (CLI11) is command_line.hpp's, which only main.cpp includes, so nvcc never
// compiles CLI11.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "report.hpp"
#include "train.hpp"
#include "usage_error.hpp"

namespace dae_mnist {

/// `encode`'s flags. threads 0: the library's default (every core).
struct EncodeOptions {
  fs::path model, images, out;
  int threads = 0;
};

/// `reconstruct`'s flags; noise 0 reconstructs the images as they are.
struct ReconstructOptions {
  fs::path model, images, out;
  double noise = 0.0;
  std::uint64_t seed = 0;
  int threads = 0;
};

/// `generate`'s flags.
struct GenerateOptions {
  fs::path model, out;
  int n = 9;
  std::uint64_t seed = 1;
};

/// `traverse`'s flags; without codes the sweep is over the prior N(0, I) (see prior_range).
struct TraverseOptions {
  fs::path model, codes, out;
  int steps = 11;
};

/// `cluster`'s files (its method and settings are a ClusterOptions).
struct ClusterFiles {
  fs::path codes, labels, out;
};

/// One parsed command line: the command's name and the values of its flags, defaults where a
/// flag was not given. Only the members of `name`'s command are meaningful.
struct Command {
  std::string name;
  std::string device = "cpu";
  TrainOptions train;      // run, train
  ClusterOptions cluster;  // run, cluster
  ClusterFiles cluster_files;
  EncodeOptions encode;
  ReconstructOptions reconstruct;
  GenerateOptions generate;
  TraverseOptions traverse;
};

inline std::vector<int> read_labels(const fs::path& path, std::size_t expected_count) {
  const auto labels = dae::data::load_labels(path);
  if (labels.labels.size() != expected_count) {
    throw dae::Error(path.string() + ": " + std::to_string(labels.size()) + " labels for " +
                     std::to_string(expected_count) + " codes");
  }
  return {labels.labels.begin(), labels.labels.end()};
}

inline void print_clusters(const ClusteringRun& r) {
  std::printf("%s\n", r.summary.c_str());
  std::printf("accuracy, raw cluster ids:          %6.2f %%\n", 100 * r.scores.accuracy_raw);
  if (r.scores.one_to_one) {
    std::printf("accuracy, greedy reassignment:      %6.2f %%\n", 100 * r.scores.accuracy_greedy);
    std::printf("accuracy, optimal (Hungarian):      %6.2f %%\n", 100 * r.scores.accuracy_hungarian);
  } else {
    std::printf("accuracy, greedy and Hungarian:     n/a (they need k <= 10 classes)\n");
    std::printf("accuracy, majority vote:            %6.2f %%\n", 100 * r.scores.accuracy_majority);
  }
  std::printf("NMI %.4f   ARI %.4f\n", r.scores.nmi, r.scores.ari);
  for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

/// dae_mnist cluster: k-means (or --method graph) on codes from a .npy file, scored against labels.
inline int cluster_command(const Command& command) {
  const ClusterOptions& options = command.cluster;
  const ClusterFiles& files = command.cluster_files;
  int dim = 0;
  const auto codes = read_codes(files.codes, dim);
  const std::size_t n = codes.size() / static_cast<std::size_t>(dim);
  const auto labels = read_labels(files.labels, n);
  require_enough_codes(n, options, files.codes.string());
  print_clusters(cluster_codes(codes, dim, labels, options, files.out));
  return 0;
}

/// The model commands, for a model type. Returns the exit code; throws on failure.
template <class Model>
int model_command(const Command& command) {
  if (command.name == "train") {
    const StopOnSignal stop_on_signal;
    Trainer<Model> trainer(command.train);
    trainer.prepare();
    trainer.run();
    std::printf("model: %s\n", trainer.files().model().c_str());
    return 0;
  }
  if (command.name == "run") {
    const TrainOptions& options = command.train;
    const ClusterOptions& clustering = command.cluster;
    const StopOnSignal stop_on_signal;
    Trainer<Model> trainer(options);
    trainer.prepare();
    const auto metrics = trainer.run();
    // After training, a stop request is honoured between the steps: each one's files are whole,
    // and `run --resume` (no epochs left to train) does them all again from the saved model.
    const auto stop_point = [&](const char* next) {
      if (stop_requested()) {
        throw Interrupted("stopped by " + stop_signal_name() + " after training, before " + next + "; the model is in " +
                          trainer.files().model().string() + "; rerun the same command with --resume to finish");
      }
    };
    Model& model = trainer.model();
    model.eval();
    stop_point("generating digits");
    generate_grid(model, 9, 1, options.out / "generated.png");
    stop_point("encoding the training images");

    // Codes of the clean training images (evaluation mode), with their labels.
    const auto train_images = trainer.train_set().images.select(trainer.split().train);
    const auto codes = encode_all(model, train_images);
    std::vector<int> labels;
    for (const auto i : trainer.split().train) labels.push_back(trainer.train_set().labels.labels[static_cast<std::size_t>(i)]);
    dae::io::write_npy<float>(options.out / "codes.npy", {static_cast<std::int64_t>(labels.size()), 4}, codes);
    const std::vector<std::int64_t> labels64(labels.begin(), labels.end());
    dae::io::write_npy<std::int64_t>(options.out / "labels.npy", {static_cast<std::int64_t>(labels.size())}, labels64);
    traverse_grid(model, latent_range(codes, 4), 11, options.out / "traversal.png");

    require_enough_codes(labels.size(), clustering, "the training split");
    stop_point("clustering");
    const auto clusters = cluster_codes_both(codes, 4, labels, clustering, options.out);
    stop_point("writing the report");
    print_clusters(clusters.kmeans);
    print_clusters(clusters.graph);
    std::vector<fs::path> pictures;
    for (int epoch = 1; epoch <= options.epochs; ++epoch)
      pictures.push_back(trainer.files().picture(epoch));
    write_report(options.out / "report.html", options, metrics, pictures, clusters,
                 principal_plane(codes, 4), labels);
    std::printf("report: %s\n", (options.out / "report.html").c_str());
    return 0;
  }
  if (command.name == "encode") {
    const EncodeOptions& o = command.encode;
    if (o.threads > 0) dae::set_threads(o.threads);
    encode_command<Model>(o.model, o.images, o.out);
    return 0;
  }
  if (command.name == "reconstruct") {
    const ReconstructOptions& o = command.reconstruct;
    if (o.threads > 0) dae::set_threads(o.threads);
    reconstruct_command<Model>(o.model, o.images, o.noise, o.seed, o.out);
    return 0;
  }
  if (command.name == "generate") {
    const GenerateOptions& o = command.generate;
    generate_command<Model>(o.model, o.n, o.seed, o.out);
    return 0;
  }
  if (command.name == "traverse") {
    const TraverseOptions& o = command.traverse;
    traverse_command<Model>(o.model, o.codes, o.steps, o.out);
    return 0;
  }
  // The parser accepts only the commands above: reaching here is a bug in the dispatch.
  throw dae::Error("internal error: model_command has no command '" + command.name + "'");
}

}  // namespace dae_mnist
