// Tests of dae/data/idx.hpp on small synthetic IDX files, plain and gzip: the valid cases and every
// bad input of the pipeline issue (empty, truncated, over-long, wrong magic, labels as images,
// overflowing dimensions, truncated or corrupt .gz, trailing bytes after the gzip stream).
#include "dae/data/idx.hpp"


#include "io/test_util.hpp"

using namespace dae::test;

namespace {

Bytes idx(std::uint32_t magic, std::initializer_list<std::uint32_t> dims, std::size_t data_bytes,
          int first_value = 0) {
  Bytes b;
  append_u32_be(b, magic);
  for (const auto d : dims) append_u32_be(b, d);
  for (std::size_t i = 0; i < data_bytes; ++i) {
    b.push_back(static_cast<std::byte>((first_value + static_cast<int>(i)) % 10));
  }
  return b;
}

}  // namespace

TEST_CASE("idx: images and labels, plain and gzip", "[data][idx]") {
  TempDir dir;
  const Bytes images = idx(0x803, {3, 28, 28}, 3 * 28 * 28);
  const Bytes labels = idx(0x801, {3}, 3, 7);
  write_bytes(dir / "img", images);
  write_bytes(dir / "img.gz", gzip(images));
  write_bytes(dir / "lab", labels);
  write_bytes(dir / "lab.gz", gzip(labels));
  for (const char* name : {"img", "img.gz"}) {
    const auto a = dae::data::read_idx_images(dir / name);
    CHECK(a.dims == std::vector<std::int64_t>{3, 28, 28});
    REQUIRE(a.data.size() == 3 * 28 * 28);
    CHECK(a.data[13] == 3);
  }
  for (const char* name : {"lab", "lab.gz"}) {
    const auto a = dae::data::read_idx_labels(dir / name);
    CHECK(a.dims == std::vector<std::int64_t>{3});
    CHECK(a.data == std::vector<std::uint8_t>{7, 8, 9});
  }
  // Concatenated gzip members are one stream, as gzip(1) defines.
  Bytes two = gzip(Bytes(labels.begin(), labels.begin() + 6));
  append(two, gzip(Bytes(labels.begin() + 6, labels.end())));
  write_bytes(dir / "two.gz", two);
  CHECK(dae::data::read_idx_labels(dir / "two.gz").data == std::vector<std::uint8_t>{7, 8, 9});
  // Zero images is structurally valid.
  write_bytes(dir / "none", idx(0x803, {0, 28, 28}, 0));
  CHECK(dae::data::read_idx_images(dir / "none").data.empty());
}

TEST_CASE("idx: every bad input is one clear error naming the file", "[data][idx]") {
  TempDir dir;
  auto images_error = [&](const std::string& name, const Bytes& b,
                          std::initializer_list<std::string_view> what) {
    write_bytes(dir / name, b);
    require_error([&] { dae::data::read_idx_images(dir / name); }, what);
    require_error([&] { dae::data::read_idx_images(dir / name); }, {(dir / name).string()});
  };
  const Bytes good = idx(0x803, {2, 4, 4}, 32);
  images_error("empty", {}, {"empty file"});
  images_error("short_magic", bytes_of({0, 0, 8}), {"truncated IDX magic"});
  images_error("short_dims", Bytes(good.begin(), good.begin() + 10), {"truncated IDX header"});
  images_error("truncated", Bytes(good.begin(), good.end() - 1),
               {"truncated IDX data", "need 32 bytes", "has 31"});
  {
    Bytes longer = good;
    longer.push_back(std::byte{0});
    images_error("overlong", longer, {"too long", "1 trailing bytes"});
  }
  images_error("magic", idx(0x12345678, {}, 0), {"bad IDX magic 0x12345678"});
  images_error("text", bytes_of("hello world, not idx"), {"bad IDX magic"});
  images_error("type", idx(0x0D03, {2, 4, 4}, 128), {"type byte 0x0D", "unsigned byte"});
  images_error("zero_dims", idx(0x800, {}, 0), {"zero dimensions"});
  images_error("labels_as_images", idx(0x801, {5}, 5), {"0x00000801", "is a label file",
                                                        "expected images"});
  images_error("overflow", idx(0x803, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, 16),
               {"dimensions overflow"});
  images_error("overflow2", idx(0x804, {65536, 65536, 65536, 65536}, 16), {"dimensions overflow"});
  images_error("huge_but_no_overflow", idx(0x803, {60000, 28000, 28}, 16),
               {"truncated IDX data"});

  write_bytes(dir / "img_as_labels", good);
  require_error([&] { dae::data::read_idx_labels(dir / "img_as_labels"); },
                {"is an image file", "expected labels"});
  write_bytes(dir / "bad_label", idx(0x801, {4}, 0));
  {
    Bytes b = idx(0x801, {4}, 0);
    for (int v : {1, 2, 10, 3}) b.push_back(static_cast<std::byte>(v));
    write_bytes(dir / "bad_label", b);
    require_error([&] { dae::data::read_idx_labels(dir / "bad_label"); },
                  {"bad_label", "label 10 at index 2", "0..9"});
    CHECK(dae::data::read_idx_labels(dir / "bad_label", 10).data.size() == 4);
  }
  require_error([&] { dae::data::read_idx_images(dir / "missing"); }, {"missing", "not found"});
}

TEST_CASE("idx: gzip errors are surfaced", "[data][idx]") {
  TempDir dir;
  const Bytes images = idx(0x803, {10, 28, 28}, 10 * 28 * 28);
  const Bytes gz = gzip(images);
  auto gz_error = [&](const std::string& name, const Bytes& b,
                      std::initializer_list<std::string_view> what) {
    write_bytes(dir / name, b);
    require_error([&] { dae::data::read_idx_images(dir / name); }, what);
    require_error([&] { dae::data::read_idx_images(dir / name); }, {(dir / name).string()});
  };
  gz_error("cut_half.gz", Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)),
           {"truncated"});
  gz_error("cut_trailer.gz", Bytes(gz.begin(), gz.end() - 4), {"truncated"});
  gz_error("header_only.gz", Bytes(gz.begin(), gz.begin() + 5), {"truncated"});
  {
    Bytes corrupt = gz;
    corrupt[corrupt.size() - 6] ^= std::byte{0xff};  // CRC-32 of the trailer
    gz_error("crc.gz", corrupt, {"gzip data are corrupt"});
  }
  {
    Bytes corrupt = gz;
    corrupt[2] = std::byte{7};  // compression method must be 8 (deflate)
    gz_error("method.gz", corrupt, {"gzip data are corrupt"});
  }
  {
    Bytes trailing = gz;
    append(trailing, bytes_of("garbage"));
    gz_error("trailing.gz", trailing, {"7 bytes of garbage"});
  }
  {
    Bytes longer = images;
    longer.push_back(std::byte{0});
    gz_error("overlong.gz", gzip(longer), {"(decompressed)", "1 trailing bytes"});
    gz_error("short.gz", gzip(Bytes(images.begin(), images.end() - 1)),
             {"(decompressed)", "truncated IDX data"});
  }
}
