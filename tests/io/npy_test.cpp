// Tests of dae/io/npy.hpp: NumPy-identical writing, round trips of every dtype, version 2.0
// reading, and the strict header parser's rejections.
#include "dae/io/npy.hpp"

#include <array>

#include "dae/io/safetensors.hpp"
#include "io/test_util.hpp"

using dae::io::DType;
using dae::io::RawTensor;
using namespace dae::test;

namespace {

RawTensor parse(const Bytes& b) {
  return dae::io::parse_npy(b, "a.npy");
}

// A version-1.0 file from a header dict text (padded to 64 like NumPy) and data bytes.
Bytes npy_image(std::string dict, const Bytes& data, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  const std::size_t unpadded = prefix + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  Bytes out = bytes_of({0x93, 'N', 'U', 'M', 'P', 'Y', major, 0});
  for (std::size_t k = 0; k < prefix - 8; ++k) {
    out.push_back(static_cast<std::byte>((dict.size() >> (8 * k)) & 0xff));
  }
  append(out, bytes_of(dict));
  append(out, data);
  return out;
}

std::string numpy_header(std::string_view dict, std::size_t growth) {
  // What numpy 1.24's np.save writes (checked by hand against numpy 1.24.2).
  std::string h(dict);
  h.append(growth, ' ');
  const std::size_t unpadded = 10 + h.size() + 1;
  h.append((64 - unpadded % 64) % 64, ' ');
  return h + "\n";
}

}  // namespace

TEST_CASE("npy: writer produces numpy.save's bytes", "[io][npy]") {
  struct Case {
    RawTensor array;
    std::string dict;
    std::size_t growth, total;
  };
  const std::array<float, 6> f6{};
  const std::array<std::int64_t, 5> i5{0, 1, 2, 3, 4};
  const std::vector<std::uint8_t> u(3 * 28 * 28);
  const std::array<double, 1> d1{3.0};
  const std::array<double, 0> d0{};
  const std::vector<Case> cases{
      {dae::io::make_tensor<float>({2, 3}, f6),
       "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, 152},
      {dae::io::make_tensor<std::int64_t>({5}, i5),
       "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", 20, 168},
      {dae::io::make_tensor<std::uint8_t>({3, 28, 28}, u),
       "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 28, 28), }", 20, 2480},
      {dae::io::make_tensor<double>({}, d1),
       "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 0, 136},
      {dae::io::make_tensor<double>({0}, d0),
       "{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }", 20, 128},
  };
  for (const auto& c : cases) {
    const Bytes out = dae::io::serialize_npy(c.array);
    CHECK(out.size() == c.total);
    const std::string header = numpy_header(c.dict, c.growth);
    REQUIRE(header.size() == 0x76);
    Bytes expected = bytes_of({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x76, 0});
    append(expected, bytes_of(header));
    append(expected, c.array.data);
    CHECK(out == expected);
    const RawTensor back = parse(out);
    CHECK(back.dtype == c.array.dtype);
    CHECK(back.shape == c.array.shape);
    CHECK(back.data == c.array.data);
  }
}

TEST_CASE("npy: file round trips of every dtype", "[io][npy]") {
  TempDir dir;
  const std::vector<float> f{0.0f, 0.5f, -1.25f, 3e-8f};
  const std::vector<double> d{1.0 / 3.0, -2.0};
  const std::vector<std::int32_t> i4{-7, 0, 2147483647};
  const std::vector<std::int64_t> i8{-1, 1LL << 40};
  const std::vector<std::uint8_t> u1{0, 255, 17};
  dae::io::write_npy<float>(dir / "f.npy", {2, 2}, f);
  dae::io::write_npy<double>(dir / "d.npy", {2}, d);
  dae::io::write_npy<std::int32_t>(dir / "i4.npy", {3, 1}, i4);
  dae::io::write_npy<std::int64_t>(dir / "i8.npy", {2}, i8);
  dae::io::write_npy<std::uint8_t>(dir / "u1.npy", {1, 3}, u1);
  CHECK(dae::io::read_npy(dir / "f.npy").values<float>() == f);
  CHECK(dae::io::read_npy(dir / "f.npy").shape == std::vector<std::int64_t>{2, 2});
  CHECK(dae::io::read_npy(dir / "d.npy").values<double>() == d);
  CHECK(dae::io::read_npy(dir / "i4.npy").values<std::int32_t>() == i4);
  CHECK(dae::io::read_npy(dir / "i8.npy").values<std::int64_t>() == i8);
  CHECK(dae::io::read_npy(dir / "u1.npy").values<std::uint8_t>() == u1);
  require_error([&] { (void)dae::io::read_npy(dir / "f.npy").values<double>(); }, {"F32", "F64"});
  require_error([&] { dae::io::write_npy<float>(dir / "x.npy", {3}, f); },
                {"x.npy", "do not match"});
  CHECK_FALSE(std::filesystem::exists(dir / "x.npy"));
}

TEST_CASE("npy: versions 2.0 and 3.0, double quotes and '<u1' are read", "[io][npy]") {
  const Bytes data = bytes_of({1, 2, 3, 4});
  for (const int major : {2, 3}) {
    const RawTensor a = parse(
        npy_image("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", data, major));
    CHECK(a.shape == std::vector<std::int64_t>{2, 2});
    CHECK(a.values<std::uint8_t>() == std::vector<std::uint8_t>{1, 2, 3, 4});
  }
  const RawTensor b =
      parse(npy_image("{\"shape\": (4,), \"descr\": \"<u1\", \"fortran_order\": False}", data));
  CHECK(b.dtype == DType::U8);
  CHECK(b.numel() == 4);
}

TEST_CASE("npy: the reader rejects every malformed file", "[io][npy]") {
  const Bytes f24(24, std::byte{0});
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  REQUIRE(parse(npy_image(good, f24)).numel() == 6);
  auto with = [&](const std::string& dict) { return npy_image(dict, f24); };

  require_error([&] { parse({}); }, {"a.npy", "empty"});
  require_error([&] { parse(bytes_of("PK\x03\x04 not numpy at all")); }, {"a.npy", "not a .npy file"});
  require_error([&] { parse(bytes_of({0x93, 'N', 'U', 'M', 'P', 'Y', 1})); }, {"truncated"});
  {
    Bytes b = with(good);
    b[6] = std::byte{4};
    require_error([&] { parse(b); }, {"unsupported .npy version 4.0"});
  }
  {
    Bytes b = with(good);
    b[8] = std::byte{0xff};
    b[9] = std::byte{0xff};
    require_error([&] { parse(b); }, {"header length 65535", "past the end"});
  }
  require_error([&] { parse(with("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }")); },
                {"a.npy", "fortran_order is True"});
  require_error([&] { parse(with("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }")); },
                {"a.npy", "unsupported dtype '>f4'"});
  require_error([&] { parse(with("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }")); },
                {"unsupported dtype '<f2'"});
  require_error([&] { parse(with("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }")); },
                {"descr is not a string"});
  require_error([&] { parse(with("{'descr': '<f4', 'shape': (2, 3), }")); },
                {"missing key 'fortran_order'"});
  require_error([&] { parse(with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}")); },
                {"unexpected key 'x'"});
  require_error([&] { parse(with("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}")); },
                {"duplicate key 'descr'"});
  require_error([&] { parse(with("{'descr': '<f4', 'fortran_order': False, 'shape': (6)}")); },
                {"not a tuple"});
  require_error([&] { parse(with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}")); },
                {"non-integer"});
  require_error([&] { parse(with("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}")); },
                {"shape is not a tuple"});
  require_error([&] { parse(with("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}")); },
                {"fortran_order"});
  require_error([&] { parse(with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk")); },
                {"after the dict"});
  require_error([&] { parse(with("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999)}")); },
                {"overflows"});
  {
    Bytes b = with(good);
    b.resize(b.size() - 1);
    require_error([&] { parse(b); }, {"23 bytes", "need 24", "truncated"});
    b.resize(b.size() + 2);
    require_error([&] { parse(b); }, {"25 bytes", "trailing"});
  }
  {
    Bytes b = with(good);
    b[10 + 0x75] = std::byte{' '};  // the newline that ends the header
    require_error([&] { parse(b); }, {"newline"});
  }
  TempDir dir;
  write_bytes(dir / "labels.npy", bytes_of("0,1,2\n"));
  require_error([&] { dae::io::read_npy(dir / "labels.npy"); }, {"labels.npy", "not a .npy file"});
}

TEST_CASE("npy: one RawTensor for .npy and safetensors", "[io][npy]") {
  // What one format reads, the other writes: the tensor passes through unchanged.
  const std::array<std::int32_t, 6> v{1, -2, 3, -4, 5, -6};
  const RawTensor read =
      parse(dae::io::serialize_npy(dae::io::make_tensor<std::int32_t>({3, 2}, v)));
  dae::io::SafetensorsFile file;
  file.tensors["t"] = read;
  const RawTensor back =
      dae::io::parse_safetensors(dae::io::serialize_safetensors(file), "t.safetensors")
          .tensors.at("t");
  CHECK(back.dtype == DType::I32);
  CHECK(back.shape == read.shape);
  CHECK(back.data == read.data);
  CHECK(dae::io::serialize_npy(back) == dae::io::serialize_npy(read));
  // A dtype without a .npy descr here is refused by name rather than written wrongly.
  RawTensor half;
  half.dtype = DType::BF16;
  half.shape = {2};
  half.data.resize(4);
  CHECK_FALSE(dae::io::npy_descr(DType::BF16).has_value());
  require_error([&] { (void)dae::io::serialize_npy(half); }, {"BF16", "not written as .npy"});
}
