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

/// The clustering flags shared by `cluster` and `run`. `--k` may exceed the 10 classes (then only
/// the majority mapping is scored); the graph flags need `--method graph` where a method is chosen.
inline ClusterOptions cluster_options(const Args& args) {
  ClusterOptions o;
  o.method = args.choice("--method", "kmeans", {"kmeans", "graph"});
  o.k = static_cast<int>(args.integer("--k", 10, 1, 1000));
  o.n_init = static_cast<int>(args.integer("--n-init", 20, 1, 10000));
  o.max_iter = static_cast<int>(args.integer("--max-iter", 10000, 1, 100000000));
  o.neighbors = static_cast<int>(args.integer("--neighbors", 15, 1, 1000));
  o.micro_clusters = static_cast<int>(args.integer("--micro-clusters", 150, 1, 1000));
  o.restarts = static_cast<int>(args.integer("--restarts", 8, 1, 10000));
  o.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, INT64_MAX));
  o.threads = static_cast<int>(args.integer("--threads", 0, 1, 1024));
  if (o.micro_clusters < o.k && args.has("--micro-clusters"))
    throw UsageError("--micro-clusters: " + std::to_string(o.micro_clusters) + " is fewer than --k " + std::to_string(o.k));
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
inline int cluster_command(int argc, char** argv) {
  const Args args("cluster", argc, argv, 2,
                  {"--codes", "--labels", "--method", "--k", "--n-init", "--max-iter", "--neighbors", "--micro-clusters",
                   "--restarts", "--seed", "--threads", "--out"},
                  {});
  const ClusterOptions options = cluster_options(args);
  const bool graph = options.method == "graph";
  for (const char* flag : {"--neighbors", "--micro-clusters", "--restarts"})
    if (!graph && args.has(flag)) throw UsageError(std::string(flag) + ": only for --method graph");
  for (const char* flag : {"--n-init", "--max-iter"})
    if (graph && args.has(flag)) throw UsageError(std::string(flag) + ": only for --method kmeans");
  const auto out = args.required_path("--out");
  const auto codes_path = args.required_path("--codes");
  int dim = 0;
  const auto codes = read_codes(codes_path, dim);
  const std::size_t n = codes.size() / static_cast<std::size_t>(dim);
  const auto labels = read_labels(args.required_path("--labels"), n);
  require_enough_codes(n, options, codes_path.string());
  print_clusters(cluster_codes(codes, dim, labels, options, out));
  return 0;
}

/// The model commands, for a model type. Returns the exit code; throws on failure.
template <class Model>
int model_command(const std::string& command, int argc, char** argv) {
  if (command == "train") {
    const Args args(command, argc, argv, 2, kTrainFlags, {"--resume"});
    const StopOnSignal stop_on_signal;
    Trainer<Model> trainer(train_options(args));
    trainer.prepare();
    trainer.run();
    std::printf("model: %s\n", trainer.files().model().c_str());
    return 0;
  }
  if (command == "run") {
    auto flags = kTrainFlags;
    flags.insert({"--k", "--n-init", "--max-iter", "--neighbors", "--micro-clusters", "--restarts"});
    const Args args(command, argc, argv, 2, flags, {"--resume"});
    const TrainOptions options = train_options(args);
    const ClusterOptions clustering = cluster_options(args);
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

    require_enough_codes(labels.size(), clustering, "the training split");
    stop_point("clustering");
    const auto clusters = cluster_codes_both(codes, 4, labels, clustering, options.out);
    stop_point("writing the report");
    print_clusters(clusters.kmeans);
    print_clusters(clusters.graph);
    write_report(options.out / "report.html", options, metrics, trainer.files().picture(options.epochs), clusters);
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
