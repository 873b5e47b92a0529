// Hostile files for the data readers (IDX plain and gzip, .npy labels and images): each must be
// rejected with an error naming the file and the field, with less than 64 MiB of memory growth and
// under 2 s of CPU (tests/support/peak_memory.hpp), whatever size the file claims. The gzip bomb
// is the reason the inflate is bounded by the IDX header it decompresses first.

#include "dae/data/idx.hpp"
#include "dae/data/images.hpp"
#include "io/test_util.hpp"
#include "support/peak_memory.hpp"

using namespace dae::test;

namespace {

Bytes idx_header(std::uint32_t magic, std::initializer_list<std::uint32_t> dims) {
  Bytes b;
  append_u32_be(b, magic);
  for (const auto d : dims) append_u32_be(b, d);
  return b;
}

/// A gzip bomb: an IDX header declaring 10 images of 28x28 (7,840 bytes), then `mib` MiB of
/// zeros, as one gzip member for the header and one per MiB (concatenated members are one stream):
/// about 1 KiB of file per MiB it inflates to.
Bytes gzip_bomb(std::size_t mib) {
  Bytes bomb = gzip(idx_header(0x803, {10, 28, 28}));
  const Bytes one = gzip(Bytes(std::size_t{1} << 20, std::byte{0}));
  for (std::size_t i = 0; i < mib; ++i) append(bomb, one);
  return bomb;
}

}  // namespace

TEST_CASE("hostile data: a gzip bomb stops at the size its IDX header declares", "[data][hostile]") {
  const Bytes bomb = gzip_bomb(1024);  // 1 GiB inflated
  INFO("bomb of " << bomb.size() << " bytes");
  CHECK(bomb.size() < (std::size_t{2} << 20));
  require_bounded_error([&] { dae::data::decode_idx(bomb, "bomb.gz"); },
                        {"bomb.gz", "trailing bytes", "7856 bytes its header declares"});
  require_bounded_error([&] { dae::data::decode_labels(bomb, "bomb-labels.gz"); },
                        {"bomb-labels.gz", "trailing bytes"});
  require_bounded_error([&] { dae::data::decode_images(bomb, "bomb-images.gz"); },
                        {"bomb-images.gz", "trailing bytes"});
}

TEST_CASE("hostile data: IDX headers claiming more than the file holds", "[data][hostile]") {
  // 2^31 images of 28x28 in a 100-byte file, plain and gzip.
  Bytes claim = idx_header(0x803, {0x80000000u, 28, 28});
  claim.resize(100, std::byte{1});
  require_bounded_error([&] { dae::data::decode_idx(claim, "claim.idx"); },
                        {"claim.idx", "truncated IDX data", "file has 84"});
  require_bounded_error([&] { dae::data::decode_idx(gzip(claim), "claim.idx.gz"); },
                        {"claim.idx.gz", "truncated IDX data", "file has 84"});
  // A claim under the 8 GiB limit whose stream is short: truncated, after what it holds.
  Bytes short_claim = idx_header(0x801, {100000000});
  short_claim.resize(200, std::byte{3});
  require_bounded_error([&] { dae::data::decode_labels(gzip(short_claim), "labels.gz"); },
                        {"labels.gz", "truncated IDX data"});
  // Extents whose product overflows 64 bits.
  const Bytes overflow = idx_header(0x804, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu});
  require_bounded_error([&] { dae::data::decode_idx(overflow, "overflow.idx"); },
                        {"overflow.idx", "overflow"});
  require_bounded_error([&] { dae::data::decode_idx(gzip(overflow), "overflow.idx.gz"); },
                        {"overflow.idx.gz", "overflow"});
}

TEST_CASE("hostile data: .npy labels and images claiming terabytes", "[data][hostile]") {
  auto npy = [](const std::string& descr, const std::string& shape) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    Bytes b = bytes_of({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.push_back(static_cast<std::byte>(header.size() & 0xff));
    b.push_back(static_cast<std::byte>(header.size() >> 8));
    append(b, bytes_of(header));
    b.resize(b.size() + 16, std::byte{1});
    return b;
  };
  require_bounded_error([&] { dae::data::decode_labels(npy("<i8", "(1099511627776,)"), "labels.npy"); },
                        {"labels.npy", "data size 16 bytes", "(truncated)"});
  require_bounded_error(
      [&] { dae::data::decode_images(npy("|u1", "(1000000, 1000000, 1000000)"), "images.npy"); },
      {"images.npy", "(truncated)"});
  require_bounded_error(
      [&] { dae::data::decode_images(npy("<f4", "(4294967296, 4294967296, 4294967296)"), "images.npy"); },
      {"images.npy", "shape overflows"});
}
