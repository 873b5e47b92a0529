// Tests of dae/data/images.hpp: loading images and labels from IDX (plain/.gz) and .npy, the
// per-batch float conversion, and every bad input (non-.npy file, wrong shape or dtype, NaN or
// out-of-range pixels, wrong image size, mismatched counts).
#include "dae/data/images.hpp"

#include <zlib.h>

#include <cmath>

#include "dae/io/npy.hpp"
#include "io/test_util.hpp"

using namespace dae::test;
namespace io = dae::io;

namespace {

Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  Bytes b;
  append_u32_be(b, 0x803);
  for (const auto d : {n, rows, cols}) append_u32_be(b, d);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) b.push_back(static_cast<std::byte>(i % 256));
  return b;
}

Bytes idx_labels(std::initializer_list<int> v) {
  Bytes b;
  append_u32_be(b, 0x801);
  append_u32_be(b, static_cast<std::uint32_t>(v.size()));
  for (const int x : v) b.push_back(static_cast<std::byte>(x));
  return b;
}

void write_gz(const std::filesystem::path& p, const Bytes& b) {
  gzFile f = gzopen(p.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

}  // namespace

TEST_CASE("images: IDX plain and gz, uint8 kept, converted per batch", "[data][images]") {
  TempDir dir;
  write_bytes(dir / "train-images-idx3-ubyte", idx_images(4, 28, 28));
  write_gz(dir / "train-images-idx3-ubyte.gz", idx_images(4, 28, 28));
  for (const char* name : {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"}) {
    const auto set = dae::data::load_images(dir / name);
    CHECK(set.size() == 4);
    CHECK(set.rows() == 28);
    CHECK(set.cols() == 28);
    CHECK_FALSE(set.is_float());
    CHECK(set.u8().size() == 4 * 784);
    set.require_size(28, 28);
    std::vector<float> batch(2 * 784);
    set.to_float(1, 2, batch);
    CHECK(batch[0] == static_cast<float>(784 % 256) / 255.0f);
    CHECK(batch[1] == static_cast<float>(785 % 256) / 255.0f);
    const std::vector<std::int64_t> idx{3, 0};
    set.gather_float(idx, batch);
    CHECK(batch[0] == static_cast<float>((3 * 784) % 256) / 255.0f);
    CHECK(batch[784] == 0.0f);
    const auto sub = set.select(idx);
    CHECK(sub.size() == 2);
    CHECK(sub.u8()[0] == set.u8()[3 * 784]);
    require_error([&] { set.to_float(3, 2, batch); }, {name, "out of range"});
    const std::vector<std::int64_t> bad{4};
    std::vector<float> one(784);
    require_error([&] { set.gather_float(bad, one); }, {"index 4"});
  }
}

TEST_CASE("images: .npy uint8 and float32, [N,H,W] and [N,1,H,W]", "[data][images]") {
  TempDir dir;
  std::vector<std::uint8_t> u(2 * 784);
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<std::uint8_t>(i * 7);
  std::vector<float> f(2 * 784);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i % 101) / 100.0f;
  io::write_npy<std::uint8_t>(dir / "u3.npy", {2, 28, 28}, u);
  io::write_npy<std::uint8_t>(dir / "u4.npy", {2, 1, 28, 28}, u);
  io::write_npy<float>(dir / "f3.npy", {2, 28, 28}, f);
  io::write_npy<float>(dir / "f4.npy", {2, 1, 28, 28}, f);
  for (const char* name : {"u3.npy", "u4.npy"}) {
    const auto s = dae::data::load_images(dir / name);
    CHECK(s.size() == 2);
    CHECK_FALSE(s.is_float());
    CHECK(std::equal(u.begin(), u.end(), s.u8().begin(), s.u8().end()));
  }
  for (const char* name : {"f3.npy", "f4.npy"}) {
    const auto s = dae::data::load_images(dir / name);
    CHECK(s.is_float());
    std::vector<float> out(2 * 784);
    s.to_float(0, 2, out);
    CHECK(out == f);
  }
  // A .npy under another name is recognised by its magic.
  std::filesystem::copy_file(dir / "u3.npy", dir / "images.bin");
  CHECK(dae::data::load_images(dir / "images.bin").size() == 2);
}

TEST_CASE("images: bad inputs name the file and the field", "[data][images]") {
  TempDir dir;
  auto err = [&](const std::filesystem::path& p, std::initializer_list<std::string_view> what) {
    require_error([&] { dae::data::load_images(p); }, what);
    require_error([&] { dae::data::load_images(p); }, {p.string()});
  };
  write_bytes(dir / "fake.npy", bytes_of("this is not numpy"));
  err(dir / "fake.npy", {"not a .npy file"});
  write_bytes(dir / "empty.npy", {});
  err(dir / "empty.npy", {"empty"});
  write_bytes(dir / "empty", {});
  err(dir / "empty", {"empty"});
  const std::vector<float> f784(784, 0.5f);
  io::write_npy<float>(dir / "flat.npy", {1, 784}, f784);
  err(dir / "flat.npy", {"shape [1, 784]", "[N, H, W]"});
  io::write_npy<float>(dir / "two_channels.npy", {1, 2, 28, 14}, f784);
  err(dir / "two_channels.npy", {"shape [1, 2, 28, 14]"});
  const std::vector<double> d784(784, 0.5);
  io::write_npy<double>(dir / "f8.npy", {1, 28, 28}, d784);
  err(dir / "f8.npy", {"dtype <f8", "uint8", "float32"});
  const std::vector<std::int32_t> i784(784, 1);
  io::write_npy<std::int32_t>(dir / "i4.npy", {1, 28, 28}, i784);
  err(dir / "i4.npy", {"dtype <i4"});
  std::vector<float> bad(3 * 784, 0.25f);
  bad[784 + 28 * 5 + 7] = std::nanf("");
  io::write_npy<float>(dir / "nan.npy", {3, 28, 28}, bad);
  err(dir / "nan.npy", {"image 1 pixel (row 5, col 7)", "NaN"});
  bad[784 + 28 * 5 + 7] = 0.25f;
  bad[2 * 784 + 3] = 1.5f;
  io::write_npy<float>(dir / "range.npy", {3, 28, 28}, bad);
  err(dir / "range.npy", {"image 2 pixel (row 0, col 3)", "1.5", "outside [0,1]"});
  bad[2 * 784 + 3] = -0.0001f;
  io::write_npy<float>(dir / "neg.npy", {3, 28, 28}, bad);
  err(dir / "neg.npy", {"image 2 pixel (row 0, col 3)"});
  bad[2 * 784 + 3] = INFINITY;
  io::write_npy<float>(dir / "inf.npy", {3, 28, 28}, bad);
  err(dir / "inf.npy", {"image 2"});
  write_bytes(dir / "labels-idx1", idx_labels({1, 2}));
  err(dir / "labels-idx1", {"is a label file"});
  // Size is the caller's check.
  write_bytes(dir / "small", idx_images(2, 27, 28));
  const auto small = dae::data::load_images(dir / "small");
  require_error([&] { small.require_size(28, 28); }, {"small", "27x28", "expected 28x28"});
}

TEST_CASE("labels: IDX and integer .npy; counts must agree", "[data][images]") {
  TempDir dir;
  write_bytes(dir / "lab", idx_labels({0, 9, 3}));
  write_gz(dir / "lab.gz", idx_labels({0, 9, 3}));
  const std::vector<std::int64_t> i8{0, 9, 3};
  const std::vector<std::int32_t> i4{0, 9, 3};
  const std::vector<std::uint8_t> u1{0, 9, 3};
  io::write_npy<std::int64_t>(dir / "i8.npy", {3}, i8);
  io::write_npy<std::int32_t>(dir / "i4.npy", {3}, i4);
  io::write_npy<std::uint8_t>(dir / "u1.npy", {3}, u1);
  for (const char* name : {"lab", "lab.gz", "i8.npy", "i4.npy", "u1.npy"}) {
    CHECK(dae::data::load_labels(dir / name).labels == u1);
  }
  auto err = [&](const std::filesystem::path& p, std::initializer_list<std::string_view> what) {
    require_error([&] { dae::data::load_labels(p); }, what);
    require_error([&] { dae::data::load_labels(p); }, {p.string()});
  };
  const std::vector<std::int64_t> neg{0, -1};
  io::write_npy<std::int64_t>(dir / "neg.npy", {2}, neg);
  err(dir / "neg.npy", {"label -1 at index 1"});
  const std::vector<std::int64_t> big{0, 1, 12};
  io::write_npy<std::int64_t>(dir / "big.npy", {3}, big);
  err(dir / "big.npy", {"label 12 at index 2", "0..9"});
  const std::vector<float> fl{0, 1};
  io::write_npy<float>(dir / "float.npy", {2}, fl);
  err(dir / "float.npy", {"dtype <f4", "integer labels"});
  io::write_npy<std::int64_t>(dir / "2d.npy", {3, 1}, i8);
  err(dir / "2d.npy", {"shape [3, 1]", "[N]"});
  write_bytes(dir / "imgs", idx_images(2, 28, 28));
  err(dir / "imgs", {"is an image file"});
  write_bytes(dir / "fake.npy", bytes_of("0 9 3\n"));
  err(dir / "fake.npy", {"not a .npy file"});

  write_bytes(dir / "img3", idx_images(3, 28, 28));
  write_bytes(dir / "img2", idx_images(2, 28, 28));
  const auto both = dae::data::load_labeled_images(dir / "img3", dir / "lab.gz");
  CHECK(both.images.size() == 3);
  CHECK(both.labels.size() == 3);
  require_error([&] { dae::data::load_labeled_images(dir / "img2", dir / "lab"); },
                {"img2", "2 images", "lab", "3 labels"});
}
