// libFuzzer target: IDX files, plain and gzip, through decode_idx and check_idx_images/labels.
// Invariants beyond "no crash": a rejection is a dae::Error naming the file; what decodes
// re-encodes (serialize_idx) to a file that decodes to the same array, byte-identical to the input
// when that was plain; and a plain input gzipped here decodes exactly as it does plain (same array,
// or rejected too), which drives the bounded inflate with every IDX header the fuzzer invents.
#include <zlib.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "dae/data/idx.hpp"
#include "fuzz_common.hpp"

namespace {

std::vector<std::byte> gzip(std::span<const std::byte> in) {
  z_stream z{};
  DAE_FUZZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<std::byte> out(deflateBound(&z, static_cast<uLong>(in.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  DAE_FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::optional<dae::data::IdxArray> decode(std::span<const std::byte> bytes, const char* source) {
  try {
    return dae::data::decode_idx(bytes, source);
  } catch (const dae::Error& e) {
    dae::fuzz::check_error(e, source);
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = dae::fuzz::as_bytes(data, size);
  const auto a = decode(bytes, "input.idx");
  const bool plain = !dae::data::detail::is_gzip(bytes);
  if (a) {
    const std::vector<std::uint8_t> encoded = dae::data::serialize_idx(*a);
    const auto b = dae::data::parse_idx(encoded, "re-encoded");
    DAE_FUZZ_CHECK(b.dims == a->dims && b.data == a->data);
    if (plain) {
      DAE_FUZZ_CHECK(encoded.size() == size && std::equal(encoded.begin(), encoded.end(), data));
    }
    for (const auto dims : {std::size_t{1}, std::size_t{3}}) {
      try {
        if (dims == 3) dae::data::check_idx_images(*a, "input.idx");
        else dae::data::check_idx_labels(*a, "input.idx");
        DAE_FUZZ_CHECK(a->dims.size() == dims);
      } catch (const dae::Error& e) {
        dae::fuzz::check_error(e, "input.idx");
      }
    }
  }
  if (plain) {
    const auto z = decode(gzip(bytes), "input.idx.gz");
    DAE_FUZZ_CHECK(z.has_value() == a.has_value());
    if (z) DAE_FUZZ_CHECK(z->dims == a->dims && z->data == a->data);
  }
  return 0;
}
