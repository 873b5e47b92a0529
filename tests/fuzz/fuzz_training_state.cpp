// libFuzzer target: the training_state.safetensors that `dae_mnist train --resume` reads, through
// dae_mnist::training_state::restore (model + Adam state + epoch, checked against the run's
// settings). Invariants: a rejection is a dae::Error naming the file (or, for a setting that
// differs, the flag) and leaves the model and its optimizer byte-identical to before; an accepted
// file leaves them holding exactly its tensors, with an epoch in range and every value finite,
// and a recorded epoch in progress (a run stopped mid-epoch) is in range and finite.
#include <cmath>

#include "dae/autoencoder.hpp"
#include "fuzz_common.hpp"
#include "training_state.hpp"

namespace {

constexpr std::int64_t kBatchesPerEpoch = 188;  // 48,000 training images in batches of 256

dae::io::SafetensorsFile state_of(dae::Autoencoder<4>& model, std::int64_t epoch) {
  return dae::collect_state<float>(
      [&](auto& visitor) { dae_mnist::training_state::visit(model, epoch, visitor); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dae::Autoencoder<4> model(0);
  static std::int64_t epoch = 0;
  static dae::io::SafetensorsFile before = state_of(model, epoch);
  static const auto settings = dae::fuzz::training_settings();
  const auto bytes = dae::fuzz::as_bytes(data, size);
  std::int64_t restored = 0;
  dae_mnist::training_state::EpochInProgress progress;
  try {
    progress = dae_mnist::training_state::epoch_in_progress(
        dae::io::parse_safetensors(bytes, "training_state.safetensors"), "training_state.safetensors",
        kBatchesPerEpoch);
    restored = dae_mnist::training_state::restore(model, bytes, "training_state.safetensors", settings);
  } catch (const dae_mnist::UsageError& e) {
    DAE_FUZZ_CHECK(std::string_view(e.what()).substr(0, 2) == "--");
    DAE_FUZZ_CHECK(dae::fuzz::same_contents(state_of(model, epoch), before));
    return 0;
  } catch (const dae::Error& e) {
    dae::fuzz::check_error(e, "training_state.safetensors");
    DAE_FUZZ_CHECK(dae::fuzz::same_contents(state_of(model, epoch), before));
    return 0;
  }
  DAE_FUZZ_CHECK(restored >= 0 && restored <= dae_mnist::training_state::kMaxEpochs);
  DAE_FUZZ_CHECK(progress.batches >= 0 && progress.batches < kBatchesPerEpoch);
  DAE_FUZZ_CHECK(std::isfinite(progress.loss_sum) && progress.loss_sum >= 0);
  DAE_FUZZ_CHECK(std::isfinite(progress.seconds) && progress.seconds >= 0);
  epoch = restored;
  before = state_of(model, epoch);
  dae::io::SafetensorsFile file = dae::io::parse_safetensors(bytes, "again");
  file.metadata.clear();
  DAE_FUZZ_CHECK(dae::fuzz::same_contents(before, file));
  for (const auto& [name, t] : before.tensors) {
    if (t.dtype != dae::io::DType::F32) continue;
    for (const float v : t.values<float>()) DAE_FUZZ_CHECK(std::isfinite(v));
  }
  return 0;
}
