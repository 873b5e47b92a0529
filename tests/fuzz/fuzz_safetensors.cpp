// libFuzzer target: safetensors headers and tensor tables through parse_safetensors. Invariants:
// a rejection is a dae::Error naming the file; what parses is accepted by the writer (every name,
// dtype and size the reader lets in can be written back), the written file parses to the same
// tensors and metadata, and writing that again gives the same bytes (the canonical layout is a
// fixed point).
#include <vector>

#include "dae/io/safetensors.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dae::io::SafetensorsFile file;
  try {
    file = dae::io::parse_safetensors(dae::fuzz::as_bytes(data, size), "input.safetensors");
  } catch (const dae::Error& e) {
    dae::fuzz::check_error(e, "input.safetensors");
    return 0;
  }
  std::vector<std::byte> encoded;
  try {
    encoded = dae::io::serialize_safetensors(file);
  } catch (const dae::Error& e) {
    std::fprintf(stderr, "the writer refuses what the reader accepted: %s\n", e.what());
    DAE_FUZZ_CHECK(false);
  }
  const dae::io::SafetensorsFile again = dae::io::parse_safetensors(encoded, "re-encoded");
  DAE_FUZZ_CHECK(dae::fuzz::same_contents(file, again));
  DAE_FUZZ_CHECK(dae::io::serialize_safetensors(again) == encoded);
  return 0;
}
