// The subcommands of dae_mnist that use a model (run, train, encode, reconstruct, generate),
// written once for any model type: main.cpp instantiates them with the CPU model, cuda_main.cu
// (compiled by nvcc when the CUDA backend is built) with dae::Autoencoder<4, dae::cuda>. The
// model-free `cluster` command and the flag helpers live here too.
#pragma once

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "report.hpp"
#include "train.hpp"

namespace dae_mnist {

inline const std::set<std::string> kTrainFlags = {"--data", "--out", "--epochs", "--batch", "--lr", "--noise", "--seed",
                                                  "--threads", "--device", "--val-fraction"};

inline TrainOptions train_options(const Args& args) {
  TrainOptions o;
  o.data = args.required_path("--data");
  o.out = args.required_path("--out");
  o.epochs = static_cast<int>(args.integer("--epochs", 30, 1, 100000));
  o.batch = static_cast<int>(args.integer("--batch", 256, 2, 1 << 20));
  o.lr = args.real("--lr", 1e-3, 1e-12, 10.0);
  o.noise = args.real("--noise", 0.3, 0.0, 10.0);
  o.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, INT64_MAX));
  o.threads = static_cast<int>(args.integer("--threads", 0, 1, 1024));
  o.validation_fraction = args.real("--val-fraction", 0.2, 1e-6, 0.999);
  o.resume = args.has("--resume");
  return o;
}

inline ClusterOptions cluster_options(const Args& args) {
  ClusterOptions o;
  o.k = static_cast<int>(args.integer("--k", 10, 1, 10));
  o.n_init = static_cast<int>(args.integer("--n-init", 20, 1, 10000));
  o.max_iter = static_cast<int>(args.integer("--max-iter", 10000, 1, 100000000));
  o.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, INT64_MAX));
  o.threads = static_cast<int>(args.integer("--threads", 0, 1, 1024));
  return o;
}

inline std::vector<int> read_labels(const fs::path& path, std::size_t expected_count) {
  const auto labels = dae::data::load_labels(path);
  if (labels.labels.size() != expected_count) {
    throw dae::Error(path.string() + ": " + std::to_string(labels.size()) + " labels for " +
                     std::to_string(expected_count) + " codes");
  }
  return {labels.labels.begin(), labels.labels.end()};
}

inline void print_clusters(const dae::cluster::ClusterReport& r) {
  std::printf("k-means: inertia %.2f after %d iterations\n", r.kmeans.inertia, r.kmeans.iterations);
  std::printf("accuracy, raw cluster ids:          %6.2f %%\n", 100 * r.accuracy_raw);
  std::printf("accuracy, greedy reassignment:      %6.2f %%\n", 100 * r.accuracy_greedy);
  std::printf("accuracy, optimal (Hungarian):      %6.2f %%\n", 100 * r.accuracy_hungarian);
  std::printf("NMI %.4f   ARI %.4f\n", r.nmi, r.ari);
  for (const auto& w : r.kmeans.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

/// dae_mnist cluster: k-means on codes from a .npy file, scored against labels.
inline int cluster_command(int argc, char** argv) {
  const Args args("cluster", argc, argv, 2,
                  {"--codes", "--labels", "--k", "--n-init", "--max-iter", "--seed", "--threads", "--out"}, {});
  const ClusterOptions options = cluster_options(args);
  const auto out = args.required_path("--out");
  int dim = 0;
  const auto codes = read_codes(args.required_path("--codes"), dim);
  const auto labels = read_labels(args.required_path("--labels"), codes.size() / static_cast<std::size_t>(dim));
  print_clusters(cluster_codes(codes, dim, labels, options, out));
  return 0;
}

/// The model commands, for a model type. Returns the exit code; throws on failure.
template <class Model>
int model_command(const std::string& command, int argc, char** argv) {
  if (command == "train") {
    const Args args(command, argc, argv, 2, kTrainFlags, {"--resume"});
    Trainer<Model> trainer(train_options(args));
    trainer.prepare();
    trainer.run();
    std::printf("model: %s\n", trainer.files().model().c_str());
    return 0;
  }
  if (command == "run") {
    auto flags = kTrainFlags;
    flags.insert({"--k", "--n-init", "--max-iter"});
    const Args args(command, argc, argv, 2, flags, {"--resume"});
    const TrainOptions options = train_options(args);
    const ClusterOptions clustering = cluster_options(args);
    Trainer<Model> trainer(options);
    trainer.prepare();
    const auto metrics = trainer.run();
    Model& model = trainer.model();
    model.eval();
    generate_grid(model, 9, 1, options.out / "generated.png");

    // Codes of the clean training images (evaluation mode), with their labels.
    const auto train_images = trainer.train_set().images.select(trainer.split().train);
    const auto codes = encode_all(model, train_images);
    std::vector<int> labels;
    for (const auto i : trainer.split().train) labels.push_back(trainer.train_set().labels.labels[static_cast<std::size_t>(i)]);
    dae::io::write_npy<float>(options.out / "codes.npy", {static_cast<std::int64_t>(labels.size()), 4}, codes);
    const std::vector<std::int64_t> labels64(labels.begin(), labels.end());
    dae::io::write_npy<std::int64_t>(options.out / "labels.npy", {static_cast<std::int64_t>(labels.size())}, labels64);

    const auto report = cluster_codes(codes, 4, labels, clustering, options.out);
    print_clusters(report);
    write_report(options.out / "report.html", options, metrics, trainer.files().picture(options.epochs), report);
    std::printf("report: %s\n", (options.out / "report.html").c_str());
    return 0;
  }
  if (command == "encode") {
    const Args args(command, argc, argv, 2, {"--model", "--images", "--out", "--threads", "--device"}, {});
    if (args.has("--threads")) dae::set_threads(static_cast<int>(args.integer("--threads", 1, 1, 1024)));
    encode_command<Model>(args.required_path("--model"), args.required_path("--images"), args.required_path("--out"));
    return 0;
  }
  if (command == "reconstruct") {
    const Args args(command, argc, argv, 2, {"--model", "--images", "--out", "--noise", "--seed", "--threads", "--device"}, {});
    if (args.has("--threads")) dae::set_threads(static_cast<int>(args.integer("--threads", 1, 1, 1024)));
    reconstruct_command<Model>(args.required_path("--model"), args.required_path("--images"),
                               args.real("--noise", 0.0, 0.0, 10.0),
                               static_cast<std::uint64_t>(args.integer("--seed", 0, 0, INT64_MAX)), args.required_path("--out"));
    return 0;
  }
  if (command == "generate") {
    const Args args(command, argc, argv, 2, {"--model", "--n", "--seed", "--out", "--device"}, {});
    generate_command<Model>(args.required_path("--model"), static_cast<int>(args.integer("--n", 9, 1, 1024)),
                            static_cast<std::uint64_t>(args.integer("--seed", 1, 0, INT64_MAX)), args.required_path("--out"));
    return 0;
  }
  throw UsageError("unknown command '" + command + "' (commands: run, train, encode, reconstruct, generate, cluster)");
}

}  // namespace dae_mnist
