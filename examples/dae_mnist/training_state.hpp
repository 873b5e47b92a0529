// The training state `dae_mnist train` writes after every epoch and `--resume` reads back
// (training_state.safetensors): the model's tensors under "model.", Adam's moments and step under
// "optimizer.", the completed epoch count as "epoch", and the run's settings as metadata.
//
// Everything that resuming trusts is checked here, before the model is touched, because the file is
// outside input like any other: the settings must be the current run's, every tensor present with
// its dtype and shape and nothing else, the epoch and Adam's step in range, and every value finite
// (Adam's second moments also non-negative), since a NaN restored here would only surface epochs
// later as a diverged loss. A run stopped mid-epoch (interrupt.hpp) also records the batches it had
// done of the next epoch and their loss sum, as metadata. The Trainer parses the file and calls
// restore on it; the bytes overload is what tests/fuzz/fuzz_training_state feeds.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <span>
#include <string>

#include "dae/checkpoint.hpp"
#include "dae/io/safetensors.hpp"
#include "usage_error.hpp"

namespace dae_mnist::training_state {

/// The most epochs a training state may claim (far beyond any run; keeps the count in an int).
inline constexpr std::int64_t kMaxEpochs = 1'000'000;

/// Forwards a state visitor with a name prefix ("model.", "optimizer.").
template <class Inner>
struct Prefixed {
  Inner& inner;
  std::string prefix;
  template <class P>
  void parameter(const std::string& name, P& p) { inner.parameter(prefix + name, p); }
  template <class B>
  void buffer(const std::string& name, B& b) { inner.buffer(prefix + name, b); }
  void counter(const std::string& name, std::int64_t& c) { inner.counter(prefix + name, c); }
};

/// Visits everything a training state holds: model, optimizer, completed epochs.
/// @param model the model (its optimizer is visited too).
/// @param epoch the completed epoch count.
/// @param visitor a state visitor (see dae/parameter.hpp).
template <class Model, class Visitor>
void visit(Model& model, std::int64_t& epoch, Visitor& visitor) {
  Prefixed<Visitor> model_part{visitor, "model."};
  model.visit_state(model_part);
  Prefixed<Visitor> optimizer_part{visitor, "optimizer."};
  model.optimizer().visit_state(optimizer_part);
  visitor.counter("epoch", epoch);
}

namespace detail {

inline std::int64_t scalar_i64(const dae::io::SafetensorsFile& file, const std::string& name,
                               const std::string& source) {
  std::int64_t value = 0;
  dae::io::expect_tensor(file, name, dae::io::DType::I64, {}, source)
      .copy_to(std::span<std::int64_t>(&value, 1));
  return value;
}

}  // namespace detail

/// Checks a parsed training state against the current run and restores it; all-or-nothing.
/// @param model the model whose state (and its optimizer's) is restored.
/// @param file the parsed training_state.safetensors.
/// @param source the file's name, for error messages.
/// @param expected the metadata the current run would write (its settings).
/// @return the completed epoch count, 0 to kMaxEpochs.
/// @post on failure the model and its optimizer are unchanged.
/// @throws UsageError when a setting differs from the current run's (naming the flag);
///         dae::Error naming `source` and the field or tensor for anything else.
template <class Model>
std::int64_t restore(Model& model, const dae::io::SafetensorsFile& file, const std::string& source,
                     const std::map<std::string, std::string>& expected) {
  for (const auto& [key, value] : expected) {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end()) {
      throw dae::Error(source + ": metadata '" + key + "' is missing (not a dae training state)");
    }
    if (it->second != value) {
      const std::string flag = key == "train_images"          ? "--data"
                               : key == "validation_fraction" ? "--val-fraction"
                                                              : "--" + key;
      throw UsageError(flag + ": " + value + " differs from the run being resumed (" + it->second +
                       ", in " + source + ")");
    }
  }
  const std::int64_t epoch = detail::scalar_i64(file, "epoch", source);
  if (epoch < 0 || epoch > kMaxEpochs) {  // 0: a run stopped before its first epoch ended
    throw dae::Error(source + ": tensor 'epoch': " + std::to_string(epoch) + " is outside 0.." +
                     std::to_string(kMaxEpochs));
  }
  const std::int64_t step = detail::scalar_i64(file, "optimizer.step", source);
  if (step < 0) {
    throw dae::Error(source + ": tensor 'optimizer.step': " + std::to_string(step) +
                     " is negative");
  }
  for (const auto& [name, tensor] : file.tensors) {
    if (tensor.dtype != dae::io::DType::F32) continue;  // restore_state names the wrong dtypes
    const bool second_moment = name.ends_with(".exp_avg_sq");
    const auto values = tensor.template values<float>();
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i]) || (second_moment && values[i] < 0)) {
        throw dae::Error(source + ": tensor " + dae::io::detail::quoted(name) + ": value " +
                         std::to_string(values[i]) + " at index " + std::to_string(i) +
                         (second_moment ? " is not a finite non-negative number"
                                        : " is not finite"));
      }
    }
  }
  std::int64_t restored = 0;
  dae::restore_state<float>(file, source, [&](auto& v) { visit(model, restored, v); });
  return restored;
}

/// The part of an epoch a stopped run had done: the batches and the sum of their losses (the
/// epoch's mean needs it), and the seconds they took. batches == 0: none (an epoch boundary).
struct EpochInProgress {
  int batches = 0;
  double loss_sum = 0, seconds = 0;
};

inline constexpr const char* kInProgressBatches = "epoch_in_progress_batches";
inline constexpr const char* kInProgressLossSum = "epoch_in_progress_loss_sum";
inline constexpr const char* kInProgressSeconds = "epoch_in_progress_seconds";

namespace detail {

/// Exact text of a double ("%a"), so that a resumed epoch's mean loss is the straight run's.
inline std::string hex_double(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%a", value);
  return text;
}

inline double non_negative_metadata(const dae::io::SafetensorsFile& file, const char* key,
                                    const std::string& source) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) {
    throw dae::Error(source + ": metadata '" + key + "' is missing (the epoch in progress is incomplete)");
  }
  const std::string& text = it->second;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0) {
    throw dae::Error(source + ": metadata '" + key + "' is '" + text + "', not a finite number >= 0");
  }
  return value;
}

}  // namespace detail

/// Records in `file`'s metadata the part of the next epoch that was done, if any.
/// @param file the training state about to be written.
/// @param done the batches done in the epoch after the completed ones (0: nothing to record).
inline void add_epoch_in_progress(dae::io::SafetensorsFile& file, const EpochInProgress& done) {
  if (done.batches == 0) return;
  file.metadata[kInProgressBatches] = std::to_string(done.batches);
  file.metadata[kInProgressLossSum] = detail::hex_double(done.loss_sum);
  file.metadata[kInProgressSeconds] = detail::hex_double(done.seconds);
}

/// Reads what add_epoch_in_progress recorded: nothing (batches 0), or 1 to batches_per_epoch - 1
/// batches with a finite, non-negative loss sum and seconds.
/// @param file the parsed training state.
/// @param source the file's name, for error messages.
/// @param batches_per_epoch the batches of one epoch of the current run.
/// @return the epoch in progress.
/// @throws dae::Error naming `source` and the metadata key when a value is malformed or out of range.
inline EpochInProgress epoch_in_progress(const dae::io::SafetensorsFile& file, const std::string& source,
                                         std::int64_t batches_per_epoch) {
  EpochInProgress done;
  const auto it = file.metadata.find(kInProgressBatches);
  if (it == file.metadata.end()) return done;
  const std::string& text = it->second;
  std::int64_t batches = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), batches);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || batches < 1 ||
      batches >= batches_per_epoch) {
    throw dae::Error(source + ": metadata '" + kInProgressBatches + "' is '" + text +
                     "', not a batch count in [1, " + std::to_string(batches_per_epoch - 1) + "]");
  }
  done.batches = static_cast<int>(batches);
  done.loss_sum = detail::non_negative_metadata(file, kInProgressLossSum, source);
  done.seconds = detail::non_negative_metadata(file, kInProgressSeconds, source);
  return done;
}

/// Parses training_state.safetensors held in memory, then restore(model, file, ...).
/// @param model the model whose state (and its optimizer's) is restored.
/// @param bytes the whole file.
/// @param source the file's name, for error messages.
/// @param expected the metadata the current run would write (its settings).
/// @return the completed epoch count, 0 to kMaxEpochs.
/// @post on failure the model and its optimizer are unchanged.
/// @throws as restore() does, and dae::Error for a malformed file.
template <class Model>
std::int64_t restore(Model& model, std::span<const std::byte> bytes, const std::string& source,
                     const std::map<std::string, std::string>& expected) {
  return restore(model, dae::io::parse_safetensors(bytes, source), source, expected);
}

}  // namespace dae_mnist::training_state
