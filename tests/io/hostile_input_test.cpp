// Hostile files for the .npy and safetensors readers: headers claiming terabytes, header lengths
// of 2^60, offsets past the end, overlapping tensors, empty names, deep JSON nesting, headers of
// many keys. Each must be rejected with an error naming the file and the field, with less than
// 64 MiB of memory growth and under 2 s of CPU (tests/support/peak_memory.hpp). The empty-name,
// nesting and many-keys cases guard the fixes made for them (see docs/RELIABILITY.md).
#include "dae/io/npy.hpp"
#include "dae/io/safetensors.hpp"
#include "io/test_util.hpp"
#include "support/peak_memory.hpp"

using namespace dae::test;

namespace {

Bytes safetensors(const std::string& header, std::size_t data_bytes) {
  Bytes b;
  append_u64_le(b, header.size());
  append(b, bytes_of(header));
  b.resize(b.size() + data_bytes, std::byte{0});
  return b;
}

void reject(const Bytes& file, std::initializer_list<std::string_view> fragments) {
  require_bounded_error([&] { dae::io::parse_safetensors(file, "hostile.safetensors"); }, fragments);
}

}  // namespace

TEST_CASE("hostile io: .npy headers claiming more than the file holds", "[io][hostile]") {
  auto npy = [](int major, const std::string& shape, std::uint32_t claimed_len = 0) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append((64 - (12 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    Bytes b = bytes_of({0x93, 'N', 'U', 'M', 'P', 'Y', major, 0});
    const std::uint32_t len = claimed_len ? claimed_len : static_cast<std::uint32_t>(header.size());
    for (int k = 0; k < (major == 1 ? 2 : 4); ++k) b.push_back(static_cast<std::byte>(len >> (8 * k)));
    append(b, bytes_of(header));
    b.resize(b.size() + 64, std::byte{0});
    return b;
  };
  auto parse = [](const Bytes& b) { return [b] { dae::io::parse_npy(b, "hostile.npy"); }; };
  require_bounded_error(parse(npy(1, "(1000000, 1000000, 1000000)")),
                        {"hostile.npy", "data size 64 bytes", "(truncated)"});
  require_bounded_error(parse(npy(2, "(4611686018427387904, 4)")), {"hostile.npy", "shape overflows"});
  require_bounded_error(parse(npy(2, "(3,)", 0xFFFFFFF0u)),
                        {"hostile.npy", "header length 4294967280 runs past the end"});
  require_bounded_error(parse(npy(3, "(99999999999999999999,)")),
                        {"hostile.npy", "shape extent too large"});
}

TEST_CASE("hostile io: safetensors sizes and offsets", "[io][hostile]") {
  {
    Bytes b;
    append_u64_le(b, std::uint64_t{1} << 60);
    b.resize(64, std::byte{'{'});
    reject(b, {"hostile.safetensors", "header length 1152921504606846976 exceeds"});
  }
  {
    Bytes b;
    append_u64_le(b, 99'999'999);
    append(b, bytes_of("{}"));
    reject(b, {"hostile.safetensors", "runs past the end of the file"});
  }
  // 2^40 float elements claimed by a 16-byte data section.
  reject(safetensors(R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}})", 16),
         {"tensor 'w'", "out of range", "16 bytes"});
  reject(safetensors(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 8),
         {"tensor 'w'", "out of range"});
  reject(safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
         {"tensor 'b'", "overlap"});
  reject(safetensors(R"({"a":{"dtype":"U8","shape":[18446744073709551615,2],"data_offsets":[0,2]}})", 2),
         {"tensor 'a'", "field 'shape'", "not a non-negative integer"});
  reject(safetensors(R"({"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}})", 0),
         {"tensor 'a'", "shape overflows"});
}

TEST_CASE("hostile io: a safetensors tensor with an empty name", "[io][hostile]") {
  // Found by fuzz_safetensors' invariant: the reader took an empty name the writer refuses.
  reject(safetensors(R"({"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", 1),
         {"hostile.safetensors", "empty name"});
}

TEST_CASE("hostile io: safetensors JSON nested a million levels deep", "[io][hostile]") {
  // Deep nesting: a megabyte of '[' built a million nested JSON values before any check.
  reject(safetensors(std::string(1 << 20, '['), 0), {"hostile.safetensors", "nested deeper than 16"});
  reject(safetensors(R"({"__metadata__":{"a":)" + std::string(100, '['), 0), {"nested deeper"});
}

TEST_CASE("hostile io: a safetensors header of 200,000 keys", "[io][hostile]") {
  // 200,000 distinct keys: the duplicate-key scan was quadratic (minutes of CPU for 8 MB).
  std::string many = "{";
  for (int i = 0; i < 200000; ++i) many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  many += "}";
  reject(safetensors(many, 0), {"hostile.safetensors", "entry is not an object"});
}
