// libFuzzer target: checkpoints loaded into dae::Autoencoder<4> from bytes (Autoencoder::load, the
// path every downloaded model file takes). Invariants: a rejection is a dae::Error naming the file
// and leaves every tensor of the model byte-identical to before (loading is all-or-nothing); an
// accepted file leaves the model holding exactly the file's tensors.
#include "dae/autoencoder.hpp"
#include "fuzz_common.hpp"

namespace {

dae::io::SafetensorsFile state_of(dae::Autoencoder<4>& model) {
  return dae::collect_state<float>([&](auto& visitor) { model.visit_state(visitor); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One model for the whole run (building one per input would dominate the time); `before` is
  // its state as the previous input left it.
  static dae::Autoencoder<4> model(0);
  static dae::io::SafetensorsFile before = state_of(model);
  const auto bytes = dae::fuzz::as_bytes(data, size);
  try {
    model.load(bytes, "input.safetensors");
  } catch (const dae::Error& e) {
    dae::fuzz::check_error(e, "input.safetensors");
    DAE_FUZZ_CHECK(dae::fuzz::same_contents(state_of(model), before));
    return 0;
  }
  before = state_of(model);
  DAE_FUZZ_CHECK(dae::fuzz::same_contents(before, dae::io::parse_safetensors(bytes, "again")));
  return 0;
}
