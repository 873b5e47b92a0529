// The command line of dae_mnist, declared once with CLI11 (Debian's libcli11-dev): every
// subcommand, its flags, their types, ranges and defaults. The same declarations parse argv and
// print `--help` (the program's and each command's), so the help cannot disagree with the parser;
// README.md shows `dae_mnist --help` and `dae_mnist train --help` verbatim, and the docs_cli_help
// test holds them equal. Our contract, not CLI11's defaults: a command-line mistake is one line
// naming the flag (a UsageError, printed by main.cpp) and exit status 2.
// Only main.cpp includes this file: the commands themselves take the plain Command it fills
// (pipeline.hpp), which cuda_main.cu compiles with nvcc.
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "pipeline.hpp"
#include "usage_error.hpp"

#ifndef DAE_MNIST_VERSION
// --version prints it; examples/dae_mnist/CMakeLists.txt passes CMake's project version.
#error "DAE_MNIST_VERSION must be defined"
#endif

namespace dae_mnist {

namespace flag {

inline std::string shortest(double v) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return error == std::errc() ? std::string(buffer, end) : std::to_string(v);
}

/// An integer in [low, high]. Checked on the text, before CLI11 converts it: its conversion would
/// take "0x10" or "1e3", which are not what anyone means by --epochs.
inline CLI::Validator integer_in(std::int64_t low, std::int64_t high) {
  const std::string range = high == std::numeric_limits<std::int64_t>::max()
                                ? "[" + std::to_string(low) + ", 2^63)"
                                : "[" + std::to_string(low) + ", " + std::to_string(high) + "]";
  return CLI::Validator(
      [low, high](std::string& s) -> std::string {
        std::int64_t value = 0;
        const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (s.empty() || error != std::errc() || end != s.data() + s.size())
          return "'" + s + "' is not an integer";
        if (value < low || value > high)
          return s + " is out of range [" + std::to_string(low) + ", " + std::to_string(high) + "]";
        return {};
      },
      range);
}

/// A finite real in [low, high]; "inf", "nan" and trailing junk are refused (see integer_in).
inline CLI::Validator real_in(double low, double high) {
  const std::string range = "[" + shortest(low) + ", " + shortest(high) + "]";
  return CLI::Validator(
      [low, high, range](std::string& s) -> std::string {
        double value = 0;
        const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (s.empty() || error != std::errc() || end != s.data() + s.size() ||
            !std::isfinite(value))
          return "'" + s + "' is not a number";
        if (value < low || value > high) return s + " is out of range " + range;
        return {};
      },
      range);
}

/// One of a fixed set of words. The help shows them as the flag's type (choice_type), so the
/// validator itself adds no description.
inline CLI::Validator one_of(const std::vector<std::string>& allowed) {
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return CLI::Validator(
      [allowed, list](std::string& s) -> std::string {
        for (const auto& a : allowed)
          if (a == s) return {};
        return "'" + s + "' is not one of " + list;
      },
      "");
}

inline std::string choice_type(const std::vector<std::string>& allowed) {
  std::string type;
  for (const auto& a : allowed) type += (type.empty() ? "{" : ",") + a;
  return type + "}";
}

/// The one-line UsageError for a CLI11 parse error; CLI11's own wording where it names the
/// flag already, ours where it would not (a switch given a value) or would be cryptic. CLI11's
/// errors carry only their text, so the two rewrites read it (2.1's wording: test_cli's [flags]
/// case fails if a CLI11 update changes it).
inline std::string message(const CLI::ParseError& e, const CLI::App* command) {
  std::string what = e.what();
  const std::string override_suffix = " was given a disallowed flag override";
  if (what.size() > override_suffix.size() && what.ends_with(override_suffix))
    return "--" + what.substr(0, what.size() - override_suffix.size()) + ": takes no value";
  // A flag at the end of the line, or `--out=`: "--out: 1 required DIR missing".
  if (e.get_name() == "ArgumentMismatch" && what.starts_with("--") && what.ends_with(" missing")) {
    if (const auto colon = what.find(':'); colon != std::string::npos)
      return what.substr(0, colon) + ": missing value";
  }
  if (e.get_name() == "RequiredError" && command != nullptr)
    return command->get_name() + ": " + what;
  return what;
}

}  // namespace flag

/// dae_mnist's parser: the declarations of every command's flags, bound to a Command.
class CommandLine {
 public:
  CommandLine() {
    app_.set_help_flag("-h,--help", "print this help and exit");
    app_.set_version_flag("--version", std::string("dae_mnist ") + DAE_MNIST_VERSION,
                          "print the version and exit");
    // Repeating a flag is not a mistake: the last value counts.
    app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    // Wide enough for the longest flag with its type and default on one line; CLI11 does not wrap
    // descriptions, so they are kept short enough for 100 columns.
    app_.get_formatter()->column_width(42);
    app_.get_formatter()->label("SUBCOMMAND", "COMMAND");
    // Unknown words stay with the command that was being parsed, and we report them ourselves,
    // naming the command (CLI11 would say "The following argument was not expected").
    app_.allow_extras();
    app_.require_subcommand(0, 1);
    Command& c = command_;

    auto* run = add_command("run", "the whole pipeline: train, generate, encode, cluster, report");
    add_train_flags(run);
    add_cluster_flags(run, /*with_method=*/false);
    run->footer(std::string(kRunNotes) + "\n\n" + kTrainNotes);

    auto* train = add_command("train", "train the autoencoder (model, pictures, metrics)");
    add_train_flags(train);
    train->footer(kTrainNotes);

    auto* encode = add_command("encode", "the latent codes of images, .npy");
    path(encode, "--model", c.encode.model, "FILE", "a model.safetensors written by train or run");
    path(encode, "--images", c.encode.images, "FILE", "images: IDX (plain or .gz) or .npy");
    path(encode, "--out", c.encode.out, "FILE", "where the codes go (.npy)");
    threads(encode, c.encode.threads);
    device(encode);

    auto* reconstruct = add_command("reconstruct", "reconstructions of (noised) images, .npy");
    path(reconstruct, "--model", c.reconstruct.model, "FILE",
         "a model.safetensors written by train or run");
    path(reconstruct, "--images", c.reconstruct.images, "FILE",
         "images: IDX (plain or .gz) or .npy");
    path(reconstruct, "--out", c.reconstruct.out, "FILE", "where the reconstructions go (.npy)");
    real(reconstruct, "--noise", c.reconstruct.noise, 0.0, 10.0, "Gaussian noise added first");
    integer(reconstruct, "--seed", c.reconstruct.seed, 0, kMaxSeed, "seed of the noise");
    threads(reconstruct, c.reconstruct.threads);
    device(reconstruct);

    auto* generate = add_command("generate", "new digits decoded from random codes, .png");
    path(generate, "--model", c.generate.model, "FILE",
         "a model.safetensors written by train or run");
    path(generate, "--out", c.generate.out, "FILE", "where the picture goes (.png)");
    integer(generate, "--n", c.generate.n, 1, 1024, "how many digits");
    integer(generate, "--seed", c.generate.seed, 0, kMaxSeed, "seed of the codes");
    device(generate);

    auto* traverse =
        add_command("traverse", "the latent traversal: each code dimension swept, .png");
    path(traverse, "--model", c.traverse.model, "FILE",
         "a model.safetensors written by train or run");
    path(traverse, "--out", c.traverse.out, "FILE", "where the picture goes (.png)");
    traverse->add_option("--codes", c.traverse.codes, "codes (encode's .npy): their mean and range")
        ->type_name("FILE");
    integer(traverse, "--steps", c.traverse.steps, 2, 64, "pictures per dimension");
    device(traverse);
    traverse->footer(kTraverseNotes);

    auto* cluster = add_command("cluster", "cluster codes and score them against labels");
    path(cluster, "--codes", c.cluster_files.codes, "FILE",
         "(N, D) float32 codes, .npy (encode's)");
    path(cluster, "--labels", c.cluster_files.labels, "FILE", "their labels: IDX or .npy");
    path(cluster, "--out", c.cluster_files.out, "DIR", "folder for clusters.json and the rest");
    add_cluster_flags(cluster, /*with_method=*/true);
    integer(cluster, "--seed", c.cluster.seed, 0, kMaxSeed, "seed of the initialisations");
    threads(cluster, c.cluster.threads);
    cluster->footer(kClusterNotes);

    app_.footer(kProgramNotes);
  }

  CommandLine(const CommandLine&) = delete;  // the options point into command_
  CommandLine& operator=(const CommandLine&) = delete;

  /// Parses argv. Returns the exit status when the program should stop at once (--help and
  /// --version print to stdout: 0; no command at all prints the help to stderr: 2).
  /// @throws UsageError with the one line that names the flag
  std::optional<int> parse(int argc, char** argv) {
    if (argc < 2) {
      std::fputs(app_.help().c_str(), stderr);
      return 2;
    }
    try {
      app_.parse(argc, argv);
    } catch (const CLI::Success& e) {  // --help, --version
      return app_.exit(e);
    } catch (const CLI::ParseError& e) {
      const auto chosen = app_.get_subcommands();
      throw UsageError(flag::message(e, chosen.empty() ? nullptr : chosen.front()));
    }
    const auto chosen = app_.get_subcommands();
    if (chosen.empty()) {
      const auto extra = app_.remaining();
      if (!extra.empty() && extra.front().starts_with("-"))
        throw UsageError("unknown flag " + extra.front() +
                         " (flags follow a command; see dae_mnist --help)");
      throw UsageError(
          "unknown command '" + (extra.empty() ? std::string() : extra.front()) +
          "' (commands: run, train, encode, reconstruct, generate, traverse, cluster)");
    }
    const CLI::App* sub = chosen.front();
    command_.name = sub->get_name();
    if (const auto extra = sub->remaining(); !extra.empty()) {
      if (extra.front().starts_with("-"))
        throw UsageError("unknown flag " + extra.front() + " for '" + command_.name +
                         "' (see dae_mnist " + command_.name + " --help)");
      throw UsageError(command_.name + ": unexpected argument '" + extra.front() +
                       "' (flags start with --; see dae_mnist " + command_.name + " --help)");
    }
    check_cluster_flags(*sub);
    return std::nullopt;
  }

  [[nodiscard]] const Command& command() const { return command_; }

 private:
  static constexpr std::int64_t kMaxSeed = std::numeric_limits<std::int64_t>::max();

  static constexpr const char* kTrainNotes =
      "--data is a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte,\n"
      "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each plain or .gz);\n"
      "scripts/fetch_mnist.sh puts MNIST in data/mnist. --epochs is the total a run\n"
      "reaches: rerun an interrupted command with --resume to finish it. Ctrl-C (SIGINT)\n"
      "or SIGTERM stops at the next step, saves a resumable state and exits with status 3.\n"
      "One train or run at a time per --out (a second one refuses).";

  static constexpr const char* kRunNotes =
      "It writes into --out what train does, then generated.png, codes.npy and labels.npy (the\n"
      "training split's), traversal.png (see traverse), k-means and the graph clustering side\n"
      "by side (clusters.json, assignments*.npy, confusion*.png, latent.png) and report.html.\n"
      "--seed and --threads serve the training and the clustering alike.";

  static constexpr const char* kTraverseNotes =
      "Row d decodes the mean code with dimension d swept from the 2nd to the 98th percentile\n"
      "of --codes; without --codes, the prior generate draws from: 0, each dimension over\n"
      "[-2, 2].";

  static constexpr const char* kClusterNotes =
      "--n-init and --max-iter are for --method kmeans (the reference), --neighbors,\n"
      "--micro-clusters, --restarts and --consensus-rounds for --method graph. With --k\n"
      "above 10 (the number of classes) only the majority mapping is scored: the greedy and\n"
      "Hungarian mappings are one-to-one.";

  static constexpr const char* kProgramNotes =
      "`dae_mnist COMMAND --help` lists a command's flags. --images/--labels take IDX (plain or\n"
      ".gz) or .npy. Exit status: 0 success, 1 bad data or a failed computation, 2 a mistake in\n"
      "the command line, 3 stopped by SIGINT/SIGTERM after saving a resumable state. Every\n"
      "failure prints one line naming the file, field or flag.";

  CLI::App* add_command(const std::string& name, const std::string& description) {
    auto* sub = app_.add_subcommand(name, description);
    sub->group("Commands");  // the heading in --help (CLI11's default: "Subcommands")
    sub->allow_extras();
    return sub;
  }

  // One declaration per flag: its type, range and default are what parses and what --help shows.

  static CLI::Option* path(CLI::App* sub, const std::string& name, fs::path& value,
                           const std::string& type, const std::string& description) {
    return sub->add_option(name, value, description)->type_name(type)->required();
  }

  template <class T>
  static CLI::Option* integer(CLI::App* sub, const std::string& name, T& value, std::int64_t low,
                              std::int64_t high, const std::string& description) {
    return sub->add_option(name, value, description)
        ->type_name("INT")
        ->check(flag::integer_in(low, high))
        ->capture_default_str();
  }

  static CLI::Option* real(CLI::App* sub, const std::string& name, double& value, double low,
                           double high, const std::string& description) {
    return sub->add_option(name, value, description)
        ->type_name("FLOAT")
        ->check(flag::real_in(low, high))
        ->capture_default_str();
  }

  static CLI::Option* choice(CLI::App* sub, const std::string& name, std::string& value,
                             const std::vector<std::string>& allowed,
                             const std::string& description) {
    return sub->add_option(name, value, description)
        ->type_name(flag::choice_type(allowed))
        ->check(flag::one_of(allowed))
        ->capture_default_str();
  }

  /// No default shown: 0, the default, means every core and is not a value one may give.
  static void threads(CLI::App* sub, int& value) {
    sub->add_option("--threads", value, "CPU threads (default: every core)")
        ->type_name("INT")
        ->check(flag::integer_in(1, 1024));
  }

  void device(CLI::App* sub) {
    choice(sub, "--device", command_.device, {"cpu", "cuda"}, "where the model runs");
  }

  void add_train_flags(CLI::App* sub) {
    TrainOptions& t = command_.train;
    path(sub, "--data", t.data, "DIR", "the MNIST folder (see below)");
    path(sub, "--out", t.out, "DIR", "folder for the model, training state, metrics and pictures");
    integer(sub, "--epochs", t.epochs, 1, 100000, "epochs the run reaches in all");
    integer(sub, "--batch", t.batch, 2, 1 << 20, "images per training step");
    real(sub, "--lr", t.lr, 1e-12, 10.0, "Adam's learning rate");
    real(sub, "--noise", t.noise, 0.0, 10.0, "standard deviation of the noise on the inputs");
    integer(sub, "--seed", t.seed, 0, kMaxSeed,
            "seed of the initialisation, split, shuffling, noise");
    threads(sub, t.threads);
    device(sub);
    real(sub, "--val-fraction", t.validation_fraction, 1e-6, 0.999,
         "share held out for validation");
    sub->add_flag("--resume", t.resume, "continue the run saved in --out, with the same settings")
        ->disable_flag_override();
  }

  /// `cluster` chooses a method; `run` clusters with both, under a heading of their own.
  void add_cluster_flags(CLI::App* sub, bool with_method) {
    ClusterOptions& o = command_.cluster;
    if (with_method)
      choice(sub, "--method", o.method, {"kmeans", "graph"}, "kmeans (the reference) or graph");
    const std::string group = with_method ? "Options" : "Clustering (k-means and graph)";
    integer(sub, "--k", o.k, 1, 1000, "number of clusters")->group(group);
    integer(sub, "--n-init", o.n_init, 1, 10000, "k-means: initialisations, the best kept")
        ->group(group);
    integer(sub, "--max-iter", o.max_iter, 1, 100000000, "k-means: iterations of each")
        ->group(group);
    integer(sub, "--neighbors", o.neighbors, 1, 1000,
            "graph: neighbours of a code in the k-NN graph")
        ->group(group);
    integer(sub, "--micro-clusters", o.micro_clusters, 1, 1000,
            "graph: micro-clusters, at least --k")
        ->group(group);
    integer(sub, "--restarts", o.restarts, 1, 10000, "graph: restarts, the best modularity kept")
        ->group(group);
    integer(sub, "--consensus-rounds", o.consensus_rounds, 0, 100,
            "graph: rounds on the restarts' consensus graph")
        ->group(group);
  }

  static bool given(const CLI::App& sub, const std::string& name) {
    const CLI::Option* option = sub.get_option_no_throw(name);
    return option != nullptr && option->count() > 0;
  }

  /// What one flag's range cannot say: which clustering flags go with which method, and
  /// --micro-clusters against --k. `run` clusters with both methods and shares --seed and
  /// --threads with the training.
  void check_cluster_flags(const CLI::App& sub) {
    ClusterOptions& o = command_.cluster;
    if (command_.name == "run") {
      o.seed = command_.train.seed;
      o.threads = command_.train.threads;
    }
    if (command_.name != "run" && command_.name != "cluster") return;
    if (given(sub, "--micro-clusters") && o.micro_clusters < o.k)
      throw UsageError("--micro-clusters: " + std::to_string(o.micro_clusters) +
                       " is fewer than --k " + std::to_string(o.k));
    if (command_.name != "cluster") return;
    const bool graph = o.method == "graph";
    for (const char* name : {"--neighbors", "--micro-clusters", "--restarts", "--consensus-rounds"})
      if (!graph && given(sub, name))
        throw UsageError(std::string(name) + ": only for --method graph");
    for (const char* name : {"--n-init", "--max-iter"})
      if (graph && given(sub, name))
        throw UsageError(std::string(name) + ": only for --method kmeans");
  }

  CLI::App app_{
      "dae_mnist: the convolutional denoising autoencoder on MNIST with a 4-D latent\n"
      "space, from training to the clustering of its codes (docs/DESIGN.md)",
      "dae_mnist"};
  Command command_;
};

}  // namespace dae_mnist
