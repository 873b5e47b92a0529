// `dae_mnist train`: the reference training loop. Per epoch: a seeded shuffle of the 48,000
// training images, noisy inputs clamp(x + 0.3 N(0,1), 0, 1) against clean targets, one Adam step
// per batch of 256; then the validation loss on noisy validation images (evaluation mode), a
// picture of 10 test digits, the loss curves, and an atomic checkpoint.
//
// Resuming: every random choice is a function of (seed, epoch, image) (see data/split.hpp and
// data/noise.hpp), so model + optimizer + epoch is the whole training state. `--epochs` is the
// epoch count the run should reach: rerunning an interrupted command with --resume finishes it,
// and N epochs then --resume to N+M gives the model of N+M epochs straight, bit for bit.
//
// Faults: one run per --out at a time (run_lock.hpp). SIGINT/SIGTERM stop at the next step
// boundary and save the state mid-epoch (batches done and their loss sum as metadata), so the
// resumed run is still bit for bit the straight one. The end of an epoch writes metrics, loss
// curve and model first and the training state last: the state is the commit point, so a SIGKILL
// anywhere leaves a resumable run (at worst one epoch is trained again, to the same bytes). A NaN
// or infinity in the loss, a parameter, a gradient or a BatchNorm statistic stops training with
// the tensor's name before anything non-finite is saved.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/backend/cpu/data.hpp"
#include "dae/backend/cpu/parallel.hpp"
#include "dae/data/noise.hpp"
#include "dae/data/split.hpp"
#include "dae/finite.hpp"
#include "dae/io/atomic_file.hpp"
#include "dae/io/image_grid.hpp"
#include "dae/io/png.hpp"
#include "dataset.hpp"
#include "interrupt.hpp"
#include "plot.hpp"
#include "run_lock.hpp"
#include "training_state.hpp"
#include "usage_error.hpp"

namespace dae_mnist {

namespace fs = std::filesystem;
/// Batches on the host: what the data pipeline fills and what every model accepts (the CUDA
/// model uploads them).
using HostImages = dae::Tensor<dae::Shape<1, 28, 28>>;
using HostCodes = dae::Tensor<dae::Shape<4>>;

struct TrainOptions {
  fs::path data;
  fs::path out;
  int epochs = 30;
  int batch = 256;
  double lr = 1e-3;
  double noise = 0.3;
  std::uint64_t seed = 0;
  int threads = 0;  // 0: all cores
  bool resume = false;
  double validation_fraction = 0.2;  // 60,000 -> 48,000 / 12,000 as in the reference
};

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, val_loss = 0, seconds = 0, train_seconds = 0, images_per_second = 0;

  [[nodiscard]] nlohmann::ordered_json to_json() const {
    return {{"epoch", epoch},       {"train_loss", train_loss},       {"val_loss", val_loss},
            {"seconds", seconds},   {"train_seconds", train_seconds}, {"images_per_second", images_per_second}};
  }
};

/// Names of the files `train` writes into --out.
struct TrainFiles {
  fs::path out;
  [[nodiscard]] fs::path model() const { return out / "model.safetensors"; }
  [[nodiscard]] fs::path state() const { return out / "training_state.safetensors"; }
  [[nodiscard]] fs::path metrics() const { return out / "metrics.jsonl"; }
  [[nodiscard]] fs::path loss_curve() const { return out / "loss.png"; }
  [[nodiscard]] fs::path pictures() const { return out / "reconstructions"; }
  [[nodiscard]] fs::path picture(int epoch) const {
    char name[32];
    std::snprintf(name, sizeof name, "epoch_%03d.png", epoch);
    return pictures() / name;
  }
};

namespace detail {

inline std::string format_seconds(double seconds) {
  const auto s = static_cast<long>(std::lround(seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

/// A progress bar on a terminal, plain per-epoch lines otherwise (logs, CI).
class Progress {
 public:
  Progress() : tty_(::isatty(::fileno(stderr)) != 0) {}
  void batch(int epoch, int epochs, int done, int total, double loss, double images_per_second, double eta) {
    if (!tty_) return;
    constexpr int kWidth = 28;
    const int filled = done * kWidth / total;
    std::fprintf(stderr, "\repoch %d/%d [%s%s] %d/%d loss %.5f  %.0f img/s  eta %s   ", epoch, epochs,
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), done, total, loss,
                 images_per_second, format_seconds(eta).c_str());
    std::fflush(stderr);
  }
  /// Clears the bar, so that what is printed next starts a clean line.
  void clear() {
    if (tty_) std::fprintf(stderr, "\r%*s\r", 100, "");
  }
  void epoch(const EpochMetrics& m, int epochs) {
    clear();
    std::fprintf(stderr, "epoch %d/%d  train_loss %.6f  val_loss %.6f  %.1f s  %.0f img/s\n", m.epoch, epochs,
                 m.train_loss, m.val_loss, m.seconds, m.images_per_second);
  }

 private:
  bool tty_;
};

}  // namespace detail

/// Trains (or resumes) per `options`, writing into options.out. Returns the per-epoch metrics.
/// @tparam Model  dae::Autoencoder<4> or dae::Autoencoder<4, dae::cuda>
/// @throws dae::Error / UsageError with one line naming the file, field or flag
template <class Model>
class Trainer {
 public:
  explicit Trainer(TrainOptions options) : options_(std::move(options)), files_{options_.out}, model_(options_.seed) {}

  /// Checks everything that can be checked before any work: flags, output folder, data files.
  void prepare() {
    if (options_.threads > 0) dae::set_threads(options_.threads);
    dae::io::ensure_writable_directory(options_.out);
    lock_.emplace(options_.out);
    dae::io::ensure_writable_directory(files_.pictures());
    dae::io::remove_stale_temporaries(options_.out);  // ours alone: we hold the lock
    dae::io::remove_stale_temporaries(files_.pictures());
    if (!options_.resume && fs::exists(files_.state())) {
      throw UsageError("--out " + options_.out.string() + " already holds a training run (" + files_.state().string() +
                       "); pass --resume to continue it, or choose another --out");
    }
    train_ = load_part(options_.data, "train");
    test_ = load_part(options_.data, "t10k");
    const auto count = static_cast<std::int64_t>(train_.images.size());
    const auto validation = static_cast<std::int64_t>(std::llround(static_cast<double>(count) * options_.validation_fraction));
    split_ = dae::data::random_split(count, count - validation, options_.seed);
    resident_.emplace(train_.images);
    const auto train_count = static_cast<std::int64_t>(split_.train.size());
    if (options_.batch == 1 || train_count % options_.batch == 1) {
      throw UsageError("--batch " + std::to_string(options_.batch) + ": a training batch would hold a single image (" +
                       std::to_string(train_count) + " training images), which BatchNorm cannot normalise");
    }
    for (int digit = 0; digit < 10; ++digit) {  // the first test image of each class, for pictures
      for (std::size_t i = 0; i < test_.labels.labels.size(); ++i) {
        if (test_.labels.labels[i] == digit) {
          picture_ids_.push_back(static_cast<std::int64_t>(i));
          break;
        }
      }
    }
    model_.optimizer().set_options({.lr = options_.lr});
    if (options_.resume) resume();
  }

  /// Runs the remaining epochs up to options.epochs.
  /// @throws Interrupted after saving a resumable state, when a StopOnSignal saw SIGINT/SIGTERM
  /// @throws dae::Error when training diverges (nothing non-finite is saved)
  std::vector<EpochMetrics> run() {
    detail::Progress progress;
    model_.train();
    for (int epoch = completed_ + 1; epoch <= options_.epochs; ++epoch) {
      const auto start = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(in_progress_.seconds));
      const double train_loss = train_epoch(epoch, progress);
      const double train_seconds = seconds_since(start);
      model_.eval();
      const double val_loss = validation_loss(epoch);
      if (!std::isfinite(val_loss)) throw diverged(epoch, "the validation loss is " + std::to_string(val_loss));
      if (const auto bad = first_non_finite_state()) throw diverged(epoch, *bad + " holds non-finite values");
      write_picture(epoch);
      model_.train();
      EpochMetrics m;
      m.epoch = epoch;
      m.train_loss = train_loss;
      m.val_loss = val_loss;
      m.train_seconds = train_seconds;
      m.images_per_second = static_cast<double>(split_.train.size()) / train_seconds;
      m.seconds = seconds_since(start);
      metrics_.push_back(m);
      save(epoch);
      progress.epoch(m, options_.epochs);
      if (stop_requested() && epoch < options_.epochs) {
        throw Interrupted("stopped by " + stop_signal_name() + " after epoch " + std::to_string(epoch) + " of " +
                          std::to_string(options_.epochs) + ", saved in " + files_.state().string() +
                          "; rerun the same command with --resume to finish");
      }
    }
    return metrics_;
  }

  Model& model() { return model_; }
  [[nodiscard]] const dae::data::LabeledImages& train_set() const { return train_; }
  [[nodiscard]] const dae::data::LabeledImages& test_set() const { return test_; }
  [[nodiscard]] const dae::data::Split& split() const { return split_; }
  [[nodiscard]] const TrainFiles& files() const { return files_; }
  [[nodiscard]] const std::vector<EpochMetrics>& metrics() const { return metrics_; }

 private:
  using Clock = std::chrono::steady_clock;
  static double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  /// Fills `clean` with the images `ids` and `noisy` with their noisy versions (noise `stream`),
  /// on the host (the pictures).
  void load_batch(const dae::data::ImageSet& images, std::span<const std::int64_t> ids, std::uint64_t stream,
                  HostImages& clean, HostImages& noisy) const {
    const auto n = static_cast<Eigen::Index>(ids.size());
    clean.resize(n);
    noisy.resize(n);
    images.gather_float(ids, std::span<float>(clean.data(), static_cast<std::size_t>(clean.matrix().size())));
    dae::data::add_noise(clean.data(), noisy.data(), ids, 784, static_cast<float>(options_.noise), options_.seed, stream);
  }

  /// One epoch over the training split, batches made where the model is (resident_). On a GPU
  /// the step does not wait: the losses are read every kLossReadInterval batches.
  double train_epoch(int epoch, detail::Progress& progress) {
    const auto order = dae::data::epoch_order(split_.train, options_.seed, static_cast<std::uint64_t>(epoch));
    resident_->set_order(order);
    const dae::NoiseSpec noise{static_cast<float>(options_.noise), options_.seed,
                               dae::data::kTrainNoiseStream + static_cast<std::uint64_t>(epoch)};
    const auto count = static_cast<std::int64_t>(order.size());
    const int batches = static_cast<int>((count + options_.batch - 1) / options_.batch);
    // What is read back (and checked) every kLossReadInterval batches is also where a stop
    // request is honoured: on a GPU that is where the loss sum is known without waiting.
    constexpr int kLossReadInterval = Model::on_host ? 1 : 32;
    const training_state::EpochInProgress resumed = std::exchange(in_progress_, {});
    double loss_sum = resumed.loss_sum;
    const auto start = Clock::now();
    for (int b = resumed.batches; b < batches; ++b) {
      if (b % kLossReadInterval == 0 && stop_requested()) {
        progress.clear();
        write_state({b, loss_sum, resumed.seconds + seconds_since(start)});
        throw Interrupted("stopped by " + stop_signal_name() + " at epoch " + std::to_string(epoch) + ", batch " +
                          std::to_string(b) + " of " + std::to_string(batches) + ", saved in " + files_.state().string() +
                          "; rerun the same command with --resume to finish");
      }
      const std::int64_t first = std::int64_t{b} * options_.batch;
      const std::int64_t size = std::min<std::int64_t>(options_.batch, count - first);
      resident_->batch(first, size, noise, clean_, noisy_);
      model_.train_step_async(noisy_, clean_);
      if ((b + 1) % kLossReadInterval != 0 && b + 1 != batches) continue;
      const double losses = model_.take_loss_sum();
      const auto at = [&] { return ", batch " + std::to_string(b + 1) + " of " + std::to_string(batches); };
      if (const auto bad = dae::first_non_finite([&](auto& v) { model_.visit_state(v); })) {
        progress.clear();
        throw diverged(epoch, *bad + " holds non-finite values", at());
      }
      if (!std::isfinite(losses)) {
        progress.clear();
        throw diverged(epoch, "the loss is " + std::to_string(losses), at());
      }
      loss_sum += losses;
      const double elapsed = seconds_since(start);
      const double rate = static_cast<double>(first + size - resumed.batches * std::int64_t{options_.batch}) / elapsed;
      const double remaining = static_cast<double>(count - first - size) / rate +
                               static_cast<double>(options_.epochs - epoch) * static_cast<double>(count) / rate;
      progress.batch(epoch, options_.epochs, b + 1, batches, loss_sum / (b + 1), rate, remaining);
    }
    return loss_sum / batches;  // the reference's mean of batch losses
  }

  /// The error of a diverged run: where, what, and that the last checkpoint is kept.
  [[nodiscard]] dae::Error diverged(int epoch, const std::string& what, const std::string& where = " (its end)") const {
    return dae::Error("training diverged at epoch " + std::to_string(epoch) + where + ": " + what +
                      " (the last checkpoint in " + options_.out.string() + " is kept; try a smaller --lr)");
  }

  /// The first non-finite tensor of the whole training state (model and Adam moments).
  [[nodiscard]] std::optional<std::string> first_non_finite_state() {
    std::int64_t epoch = completed_;
    return dae::first_non_finite([&](auto& v) { training_state::visit(model_, epoch, v); });
  }

  /// MSE over the whole validation set (every element counted once), evaluation mode.
  double validation_loss(int epoch) {
    const auto count = static_cast<std::int64_t>(split_.validation.size());
    double squared_error = 0;
    resident_->set_order(split_.validation);
    const dae::NoiseSpec noise{static_cast<float>(options_.noise), options_.seed,
                               dae::data::kValidationNoiseStream + static_cast<std::uint64_t>(epoch)};
    for (std::int64_t first = 0; first < count; first += options_.batch) {
      const std::int64_t size = std::min<std::int64_t>(options_.batch, count - first);
      resident_->batch(first, size, noise, clean_, noisy_);
      squared_error += model_.loss(noisy_, clean_) * static_cast<double>(size) * 784.0;
    }
    return squared_error / (static_cast<double>(count) * 784.0);
  }

  /// Originals, noisy inputs and reconstructions of one test digit per class, 3 rows of 10.
  void write_picture(int epoch) {
    if (picture_ids_.empty()) return;
    HostImages clean, noisy, reconstructed;
    load_batch(test_.images, picture_ids_, dae::data::kPictureNoiseStream + static_cast<std::uint64_t>(epoch), clean, noisy);
    model_.reconstruct(noisy, reconstructed);
    const auto n = static_cast<std::size_t>(clean.matrix().size());
    std::vector<float> rows;
    rows.reserve(3 * n);
    rows.insert(rows.end(), clean.data(), clean.data() + n);
    rows.insert(rows.end(), noisy.data(), noisy.data() + n);
    rows.insert(rows.end(), reconstructed.data(), reconstructed.data() + n);
    const int cols = static_cast<int>(picture_ids_.size());
    dae::io::write_png(files_.picture(epoch),
                       dae::io::tile_images(rows, 3 * cols, 28, 28, {.rows = 3, .cols = cols, .scale = 3, .gap = 4}));
  }

  /// The end of an epoch. The training state goes last: it is what --resume trusts, so every file
  /// written before it is at least as new as the epoch it records.
  void save(int epoch) {
    std::string lines;
    for (const auto& m : metrics_) lines += m.to_json().dump() + "\n";
    dae::io::write_file_atomic(files_.metrics(), std::string_view(lines));
    std::vector<plot::Series> curves(2);
    curves[0].name = "train";
    curves[1].name = "validation";
    for (const auto& m : metrics_) {
      curves[0].x.push_back(m.epoch);
      curves[0].y.push_back(m.train_loss);
      curves[1].x.push_back(m.epoch);
      curves[1].y.push_back(m.val_loss);
    }
    dae::io::write_png(
        files_.loss_curve(),
        plot::line_chart(curves, {.title = "MSE LOSS", .x_label = "EPOCH", .y_label = "LOSS"}));
    model_.save(files_.model());
    completed_ = epoch;
    write_state({});
  }

  /// Writes model + Adam state + completed epochs, and the part of epoch completed_ + 1 that was
  /// done if any, atomically. A stopped epoch writes only this: model.safetensors stays the last
  /// whole epoch's.
  void write_state(const training_state::EpochInProgress& done) {
    std::int64_t completed = completed_;
    auto state = dae::collect_state<float>([&](auto& v) { training_state::visit(model_, completed, v); });
    state.metadata = hyper_parameters();
    training_state::add_epoch_in_progress(state, done);
    dae::io::write_safetensors(files_.state(), state);
  }

  /// The settings a resumed run must share with the run it continues.
  [[nodiscard]] std::map<std::string, std::string> hyper_parameters() const {
    return {{"format", "dae-training-state-1"},
            {"seed", std::to_string(options_.seed)},
            {"batch", std::to_string(options_.batch)},
            {"lr", nlohmann::json(options_.lr).dump()},
            {"noise", nlohmann::json(options_.noise).dump()},
            {"validation_fraction", nlohmann::json(options_.validation_fraction).dump()},
            {"train_images", std::to_string(train_.images.size())}};
  }

  void resume() {
    if (!fs::exists(files_.state())) {
      throw UsageError("--resume: " + files_.state().string() + " does not exist (nothing to resume in --out)");
    }
    const auto file = dae::io::read_safetensors(files_.state());
    // Everything is checked before the model is touched: a bad state leaves nothing half-loaded.
    const auto batches_per_epoch = static_cast<std::int64_t>((split_.train.size() + static_cast<std::size_t>(options_.batch) - 1) /
                                                             static_cast<std::size_t>(options_.batch));
    const auto in_progress = training_state::epoch_in_progress(file, files_.state().string(), batches_per_epoch);
    completed_ = static_cast<int>(training_state::restore(model_, file, files_.state().string(), hyper_parameters()));
    in_progress_ = in_progress;
    const int reached = completed_ + (in_progress_.batches > 0 ? 1 : 0);
    if (completed_ > options_.epochs || (in_progress_.batches > 0 && reached > options_.epochs)) {
      throw UsageError("--epochs " + std::to_string(options_.epochs) + ": the run being resumed already " +
                       (in_progress_.batches > 0 ? "is in epoch " + std::to_string(reached)
                                                 : "has " + std::to_string(completed_) + " epochs"));
    }
    std::ifstream in(files_.metrics());
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (line.empty()) continue;
      const auto where = files_.metrics().string() + ", line " + std::to_string(number);
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("epoch")) throw dae::Error(where + ": not a metrics object");
      try {
        EpochMetrics m;
        m.epoch = j.at("epoch").get<int>();
        if (m.epoch > completed_) break;
        m.train_loss = j.at("train_loss").get<double>();
        m.val_loss = j.at("val_loss").get<double>();
        m.seconds = j.at("seconds").get<double>();
        m.train_seconds = j.value("train_seconds", m.seconds);
        m.images_per_second = j.at("images_per_second").get<double>();
        metrics_.push_back(m);
      } catch (const nlohmann::json::exception& e) {
        throw dae::Error(where + ": " + e.what());
      }
    }
  }


  TrainOptions options_;
  TrainFiles files_;
  Model model_;
  dae::data::LabeledImages train_, test_;
  dae::data::Split split_;
  std::vector<std::int64_t> picture_ids_;
  std::vector<EpochMetrics> metrics_;
  int completed_ = 0;
  training_state::EpochInProgress in_progress_;  // of epoch completed_ + 1, from a resumed state
  std::optional<RunLock> lock_;
  std::optional<dae::ResidentImages<dae::Shape<1, 28, 28>, typename Model::backend>> resident_;  // the training set
  typename Model::Images clean_, noisy_;
};

}  // namespace dae_mnist
