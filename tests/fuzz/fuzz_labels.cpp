// libFuzzer target: the label readers, through decode_labels, each input read both as a file named
// labels.npy (parsed as .npy) and as one named labels.idx (IDX, plain or gzip, by content).
// Invariants: a rejection is a dae::Error naming the file; accepted labels are all in 0..9 and
// written back as IDX and as .npy (u1) they read back identically.
#include <vector>

#include "dae/data/idx.hpp"
#include "dae/data/images.hpp"
#include "dae/io/npy.hpp"
#include "fuzz_common.hpp"

namespace {

void check_round_trip(const dae::data::LabelSet& set) {
  for (const auto label : set.labels) DAE_FUZZ_CHECK(label <= 9);
  const dae::data::IdxArray idx{{static_cast<std::int64_t>(set.labels.size())}, set.labels};
  const std::vector<std::uint8_t> idx_bytes = dae::data::serialize_idx(idx);
  const auto from_idx = dae::data::decode_labels(dae::fuzz::as_bytes(idx_bytes.data(), idx_bytes.size()), "re.idx");
  DAE_FUZZ_CHECK(from_idx.labels == set.labels);
  const auto npy = dae::io::serialize_npy(dae::io::make_tensor<std::uint8_t>(
      {static_cast<std::int64_t>(set.labels.size())}, set.labels));
  DAE_FUZZ_CHECK(dae::data::decode_labels(npy, "re.npy").labels == set.labels);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = dae::fuzz::as_bytes(data, size);
  for (const char* source : {"labels.npy", "labels.idx"}) {
    try {
      check_round_trip(dae::data::decode_labels(bytes, source));
    } catch (const dae::Error& e) {
      dae::fuzz::check_error(e, source);
    }
  }
  return 0;
}
