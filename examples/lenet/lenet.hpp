// lenet: an MNIST digit classifier from dae's public layers, written once for every backend.
// main.cpp trains it on the CPU; cuda_main.cu trains the same source with Backend = dae::cuda (on
// a GPU, or on the CUDA emulation in CI). The network (lenet_network.hpp) is LeNet-5 with strided
// convolutions where LeNet had pooling. It trains with Adam on the 60,000 training images,
// shuffled every epoch, and after each epoch prints the test loss and accuracy on the 10,000 test
// images and the epoch's training time.
// What it shows beyond tiny_network: a classifier's loss (dae::cross_entropy_loss, with
// dae::Labels carrying the class count in their type) and its accuracy (dae::count_correct).
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <dae/backend/cpu/parallel.hpp>
#include <dae/data/idx.hpp>
#include <dae/error.hpp>
#include <dae/labels.hpp>
#include <dae/loss.hpp>
#include <dae/optim/adam.hpp>
#include <dae/rng.hpp>

#include "lenet_network.hpp"

namespace lenet {

/// What the command line sets.
struct Options {
  std::filesystem::path data = "data/mnist";
  int epochs = 3;
  int batch = 64;
  double lr = 1e-3;
  std::uint64_t seed = 1;
  long long train_limit = 0;  // 0: every image
  long long test_limit = 0;
  int threads = 0;            // 0: every core (CPU backend)
  std::optional<double> require_accuracy;
};

/// Parses the command line; returns an exit code when the program should stop (--help: 0, a bad
/// flag: 2 with one line on stderr naming it).
inline std::optional<int> parse(int argc, char** argv, const char* program, Options& options) {
  CLI::App app{std::string(program) + ": train a LeNet-style MNIST classifier and report its test accuracy"};
  app.add_option("--data", options.data, "folder of the four MNIST IDX files (plain or .gz)")->capture_default_str();
  app.add_option("--epochs", options.epochs, "passes over the training images")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--batch", options.batch, "images per training step")->check(CLI::Range(2, 60000))->capture_default_str();
  app.add_option("--lr", options.lr, "Adam's learning rate")->check(CLI::Range(1e-8, 1.0))->capture_default_str();
  app.add_option("--seed", options.seed, "initialisation and shuffling seed")->capture_default_str();
  app.add_option("--train-limit", options.train_limit, "train on the first N images only (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--test-limit", options.test_limit, "test on the first N images only (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--threads", options.threads, "CPU threads (0: every core)")->check(CLI::Range(0, 256));
  app.add_option("--require-accuracy", options.require_accuracy,
                 "exit 1 unless the final test accuracy reaches this fraction")->check(CLI::Range(0.0, 1.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 2;
  }
  return std::nullopt;
}

/// One MNIST split in host memory: images scaled to [0, 1], labels 0..9.
struct Split {
  dae::Tensor<Image> images;
  std::vector<std::int32_t> labels;
};

inline std::filesystem::path idx_file(const std::filesystem::path& folder, const std::string& name) {
  const auto plain = folder / name;
  if (!std::filesystem::exists(plain) && std::filesystem::exists(folder / (name + ".gz"))) return folder / (name + ".gz");
  return plain;
}

/// Reads `prefix`-images-idx3-ubyte and `prefix`-labels-idx1-ubyte (train or t10k); keeps the
/// first `limit` images when limit > 0. @throws dae::Error naming the file
inline Split load_split(const std::filesystem::path& folder, const std::string& prefix, long long limit) {
  const auto images_path = idx_file(folder, prefix + "-images-idx3-ubyte");
  const auto labels_path = idx_file(folder, prefix + "-labels-idx1-ubyte");
  const auto images = dae::data::read_idx(images_path);
  dae::data::check_idx_images(images, images_path.string());
  if (images.dims[1] != Image::height || images.dims[2] != Image::width)
    throw dae::Error(images_path.string() + ": images are " + std::to_string(images.dims[1]) + "x" +
                     std::to_string(images.dims[2]) + ", expected 28x28");
  const auto labels = dae::data::read_idx(labels_path);
  dae::data::check_idx_labels(labels, labels_path.string(), kClasses - 1);
  if (labels.dims[0] != images.dims[0])
    throw dae::Error(labels_path.string() + ": " + std::to_string(labels.dims[0]) + " labels for " +
                     std::to_string(images.dims[0]) + " images in " + images_path.string());
  const long long count = limit > 0 ? std::min<long long>(limit, images.dims[0]) : images.dims[0];
  Split split{dae::Tensor<Image>(count), std::vector<std::int32_t>(labels.data.begin(), labels.data.begin() + count)};
  for (long long i = 0; i < count * Image::size; ++i) split.images.data()[i] = static_cast<float>(images.data[i]) / 255.0f;
  return split;
}

/// Copies the samples `ids` of `from` into the host batch `images`/`labels`.
inline void gather(const Split& from, std::span<const std::int64_t> ids, dae::Tensor<Image>& images,
                   std::vector<std::int32_t>& labels) {
  images.resize(static_cast<Eigen::Index>(ids.size()));
  labels.resize(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::copy_n(from.images.sample(ids[i]), Image::size, images.sample(static_cast<Eigen::Index>(i)));
    labels[i] = from.labels[static_cast<std::size_t>(ids[i])];
  }
}

/// Host batch -> the backend's memory (on the CPU, the same storage).
template <class Backend, class S>
void to_backend(const dae::Tensor<S>& host, dae::Tensor<S, Backend>& out) {
  if constexpr (dae::is_cpu_backend_v<Backend>)
    out = host;
  else
    out.upload(host);
}

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

/// Mean loss and accuracy over a whole split, in batches of 1,000.
template <class Backend>
Evaluation evaluate(LeNet<Backend>& net, const Split& split) {
  const auto count = static_cast<std::int64_t>(split.labels.size());
  dae::Tensor<Image> host_images;
  std::vector<std::int32_t> host_labels;
  dae::Tensor<Image, Backend> images;
  dae::Labels<kClasses, Backend> labels;
  dae::Tensor<Logits, Backend> logits;
  double loss_sum = 0;
  long long correct = 0;
  std::vector<std::int64_t> ids;
  for (std::int64_t first = 0; first < count; first += 1000) {
    ids.resize(static_cast<std::size_t>(std::min<std::int64_t>(1000, count - first)));
    std::iota(ids.begin(), ids.end(), first);
    gather(split, ids, host_images, host_labels);
    to_backend<Backend>(host_images, images);
    labels.assign(host_labels);
    net.forward(images, logits);
    loss_sum += dae::cross_entropy_loss(logits, labels) * static_cast<double>(ids.size());
    correct += dae::count_correct(logits, labels);
  }
  return {loss_sum / static_cast<double>(count), static_cast<double>(correct) / static_cast<double>(count)};
}

/// Trains and evaluates; returns the exit code (1 when --require-accuracy is not met).
template <class Backend>
int train(const char* backend_name, const Options& options) {
  if (options.threads > 0) dae::set_threads(options.threads);
  const Split train_split = load_split(options.data, "train", options.train_limit);
  const Split test_split = load_split(options.data, "t10k", options.test_limit);
  const auto count = static_cast<std::int64_t>(train_split.labels.size());
  if (count < options.batch)
    throw dae::Error("--batch " + std::to_string(options.batch) + " is larger than the " + std::to_string(count) +
                     " training images");
  std::printf("[%s] training on %lld images, testing on %zu, batch %d, %d epochs\n", backend_name,
              static_cast<long long>(count), test_split.labels.size(), options.batch, options.epochs);

  dae::Rng rng(options.seed);
  LeNet<Backend> net(rng);
  dae::Adam<Backend> adam(dae::AdamOptions{.lr = options.lr});
  adam.attach(dae::parameters(net));

  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  dae::Tensor<Image> host_images;
  std::vector<std::int32_t> host_labels;
  dae::Tensor<Image, Backend> images;
  dae::Labels<kClasses, Backend> labels;
  dae::Tensor<Logits, Backend> logits, dlogits;
  Evaluation result;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    // A fresh permutation per epoch (Fisher-Yates from a stream of its own); the last partial batch
    // is dropped, as DataLoader(drop_last=True).
    std::iota(order.begin(), order.end(), std::int64_t{0});
    dae::Rng shuffle(options.seed, 1000 + static_cast<std::uint64_t>(epoch));
    for (std::int64_t i = count - 1; i > 0; --i)
      std::swap(order[static_cast<std::size_t>(i)],
                order[static_cast<std::size_t>(shuffle.uniform_double() * static_cast<double>(i + 1))]);
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    const std::int64_t steps = count / options.batch;
    for (std::int64_t step = 0; step < steps; ++step) {
      gather(train_split, std::span<const std::int64_t>(order).subspan(static_cast<std::size_t>(step * options.batch),
                                                                        static_cast<std::size_t>(options.batch)),
             host_images, host_labels);
      to_backend<Backend>(host_images, images);
      labels.assign(host_labels);
      adam.zero_grad();
      net.forward(images, logits);
      loss_sum += dae::cross_entropy_loss(logits, labels, dlogits);
      net.backward(images, dlogits);
      adam.step();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result = evaluate(net, test_split);
    std::printf("[%s] epoch %d/%d  train loss %.4f  test loss %.4f  test accuracy %.2f %%  (%.1f s training)\n",
                backend_name, epoch, options.epochs, loss_sum / static_cast<double>(steps), result.loss,
                100.0 * result.accuracy, seconds);
    std::fflush(stdout);
  }
  if (options.require_accuracy && result.accuracy < *options.require_accuracy) {
    std::printf("FAIL: test accuracy %.2f %% is below the required %.2f %%\n", 100.0 * result.accuracy,
                100.0 * *options.require_accuracy);
    return 1;
  }
  return 0;
}

/// main() of both programs: parse, train, and turn a dae::Error into one line and exit 1.
template <class Backend>
int run(int argc, char** argv, const char* program, const char* backend_name) {
  Options options;
  if (const auto code = parse(argc, argv, program, options)) return *code;
  try {
    return train<Backend>(backend_name, options);
  } catch (const dae::Error& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace lenet
