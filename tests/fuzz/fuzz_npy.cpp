// libFuzzer target: .npy files through parse_npy, and through decode_images (as a file named
// *.npy), which adds the image checks on top. Invariants: a rejection is a dae::Error naming the
// file; what parses re-encodes (serialize_npy, NumPy's own layout) to a file that parses to the
// same dtype, shape and bytes, and that re-encoding is a fixed point; accepted images have the
// pixel count their shape says.
#include <vector>

#include "dae/data/images.hpp"
#include "dae/io/npy.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = dae::fuzz::as_bytes(data, size);
  try {
    const dae::io::RawTensor a = dae::io::parse_npy(bytes, "input.npy");
    const std::vector<std::byte> encoded = dae::io::serialize_npy(a);
    const dae::io::RawTensor b = dae::io::parse_npy(encoded, "re-encoded");
    DAE_FUZZ_CHECK(b.dtype == a.dtype && b.shape == a.shape && b.data == a.data);
    DAE_FUZZ_CHECK(dae::io::serialize_npy(b) == encoded);
  } catch (const dae::Error& e) {
    dae::fuzz::check_error(e, "input.npy");
  }
  try {
    const dae::data::ImageSet images = dae::data::decode_images(bytes, "images.npy");
    DAE_FUZZ_CHECK(images.size() >= 0 && images.rows() > 0 && images.cols() > 0);
  } catch (const dae::Error& e) {
    dae::fuzz::check_error(e, "images.npy");
  }
  return 0;
}
