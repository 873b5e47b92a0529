// libFuzzer target: the training_state.safetensors that `dae_mnist train --resume` reads, through
// dae_mnist::training_state::restore (model + Adam state + epoch, checked against the run's
// settings). Invariants: a rejection is a dae::Error naming the file (or, for a setting that
// differs, the flag) and leaves the model and its optimizer byte-identical to before; an accepted
// file leaves them holding exactly its tensors, with an epoch in range and every value finite.
#include <cmath>

#include "dae/autoencoder.hpp"
#include "fuzz_common.hpp"
#include "training_state.hpp"

namespace {

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
  try {
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
  DAE_FUZZ_CHECK(restored >= 1 && restored <= dae_mnist::training_state::kMaxEpochs);
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
