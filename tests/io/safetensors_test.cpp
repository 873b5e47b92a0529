// Tests of dae/io/safetensors.hpp: byte-exact agreement with the official writer (expected bytes
// taken from the official crate's own tests and its ordering rule), round trips through files, and
// one test per malformation the strict reader must reject.
#include "dae/io/safetensors.hpp"

#include <algorithm>
#include <array>
#include <filesystem>

#include "io/test_util.hpp"

using dae::io::DType;
using dae::io::SafetensorsFile;
using namespace dae::test;

namespace {

// A file image from a header text and a data section; the header is padded to 8 like the writer.
Bytes st_image(std::string header, const Bytes& data, bool pad = true) {
  if (pad) header.append((8 - header.size() % 8) % 8, ' ');
  Bytes out;
  append_u64_le(out, header.size());
  append(out, bytes_of(header));
  append(out, data);
  return out;
}

SafetensorsFile parse(const Bytes& b) { return dae::io::parse_safetensors(b, "ck.safetensors"); }

std::vector<int> ints(const Bytes& b) {
  std::vector<int> v;
  for (auto x : b) v.push_back(static_cast<int>(x));
  return v;
}

}  // namespace

TEST_CASE("safetensors: dtype names and sizes follow the spec", "[io][safetensors]") {
  CHECK(dae::io::dtype_name(DType::F32) == "F32");
  CHECK(dae::io::dtype_size(DType::I64) == 8);
  CHECK(dae::io::dtype_size(DType::BF16) == 2);
  CHECK(dae::io::dtype_from_name("F8_E4M3") == DType::F8_E4M3);
  CHECK_FALSE(dae::io::dtype_from_name("f32").has_value());
  CHECK_FALSE(dae::io::dtype_from_name("F128").has_value());
  for (int i = 0; i <= static_cast<int>(DType::U64); ++i) {
    const auto d = static_cast<DType>(i);
    CHECK(dae::io::dtype_from_name(dae::io::dtype_name(d)) == d);
  }
}

TEST_CASE("safetensors: writer matches the official library byte for byte", "[io][safetensors]") {
  const std::array<float, 6> v{0, 1, 2, 3, 4, 5};
  SECTION("one F32 tensor (official test_serialization)") {
    SafetensorsFile f;
    f.tensors["attn.0"] = dae::io::make_tensor<float>({1, 2, 3}, v);
    const std::vector<int> expected{
        64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
        116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
        58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
        101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
        0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64};
    CHECK(ints(dae::io::serialize_safetensors(f)) == expected);
  }
  SECTION("header padded with spaces (official test_serialization_forced_alignement)") {
    SafetensorsFile f;
    f.tensors["attn0"] = dae::io::make_tensor<float>({1, 1, 2, 3}, v);
    const Bytes out = dae::io::serialize_safetensors(f);
    const std::string header = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],"
                               "\"data_offsets\":[0,24]}}       ";
    REQUIRE(header.size() == 72);
    Bytes expected;
    append_u64_le(expected, 72);
    append(expected, bytes_of(header));
    const auto* p = reinterpret_cast<const std::byte*>(v.data());
    expected.insert(expected.end(), p, p + 24);
    CHECK(out == expected);
  }
  SECTION("empty file and metadata only (official test_empty)") {
    SafetensorsFile f;
    CHECK(ints(dae::io::serialize_safetensors(f)) ==
          std::vector<int>{8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32});
    f.metadata["framework"] = "pt";
    const std::vector<int> expected{
        40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
        95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
        116, 34, 125, 125, 32, 32, 32, 32, 32};
    CHECK(ints(dae::io::serialize_safetensors(f)) == expected);
  }
  SECTION("order: dtype rank descending, then name ascending; __metadata__ first") {
    SafetensorsFile f;
    const std::array<std::int64_t, 1> one{7};
    const std::array<double, 1> d{1.5};
    const std::array<std::uint8_t, 2> u{1, 2};
    f.tensors["b.num_batches_tracked"] = dae::io::make_tensor<std::int64_t>({}, one);
    f.tensors["z"] = dae::io::make_tensor<std::uint8_t>({2}, u);
    f.tensors["c"] = dae::io::make_tensor<float>({6}, v);
    f.tensors["a"] = dae::io::make_tensor<float>({2, 3}, v);
    f.tensors["d"] = dae::io::make_tensor<double>({1}, d);
    f.metadata["format"] = "pt";
    CHECK(dae::io::safetensors_data_order(f) ==
          std::vector<std::string>{"b.num_batches_tracked", "d", "a", "c", "z"});
    const Bytes out = dae::io::serialize_safetensors(f);
    std::uint64_t n = 0;
    std::memcpy(&n, out.data(), 8);
    const std::string header(reinterpret_cast<const char*>(out.data() + 8), n);
    const std::string expected =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"b.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
        "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[16,40]},"
        "\"c\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[40,64]},"
        "\"z\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[64,66]}}";
    CHECK(header.substr(0, expected.size()) == expected);
    CHECK(n % 8 == 0);
    CHECK(header.find_first_not_of(' ', expected.size()) == std::string::npos);
    CHECK(out.size() == 8 + n + 66);
  }
  SECTION("names escaped like serde_json") {
    SafetensorsFile f;
    const std::array<float, 1> one{1};
    f.tensors[std::string("q\"\\\n\x01\xc3\xa9", 7)] = dae::io::make_tensor<float>({1}, one);
    const Bytes out = dae::io::serialize_safetensors(f);
    const std::string header(reinterpret_cast<const char*>(out.data() + 8), out.size() - 12);
    CHECK(header.rfind("{\"q\\\"\\\\\\n\\u0001\xc3\xa9\":{", 0) == 0);
    CHECK(parse(out).tensors.count(std::string("q\"\\\n\x01\xc3\xa9", 7)) == 1);
  }
  SECTION("every ASCII character escaped or not as serde_json's table says") {
    // serde_json escapes `"`, `\`, and 0x00..0x1F (five with short forms, the rest as lowercase
    // \u00xx); everything else, DEL and '/' included, is written verbatim.
    std::string name, expected = "{\"";
    for (int c = 1; c < 0x80; ++c) {
      name += static_cast<char>(c);
      switch (c) {
        case '"':
          expected += "\\\"";
          break;
        case '\\':
          expected += "\\\\";
          break;
        case 0x08:
          expected += "\\b";
          break;
        case 0x09:
          expected += "\\t";
          break;
        case 0x0a:
          expected += "\\n";
          break;
        case 0x0c:
          expected += "\\f";
          break;
        case 0x0d:
          expected += "\\r";
          break;
        default:
          if (c < 0x20) {
            static constexpr char hex[] = "0123456789abcdef";
            expected += std::string("\\u00") + hex[c >> 4] + hex[c & 15];
          } else {
            expected += static_cast<char>(c);
          }
      }
    }
    name = std::string(1, '\0') + name + "\xf0\x9f\x98\x80";
    expected.insert(2, "\\u0000");
    expected += "\xf0\x9f\x98\x80\":{";
    SafetensorsFile f;
    const std::array<float, 1> one{1};
    f.tensors[name] = dae::io::make_tensor<float>({1}, one);
    const Bytes out = dae::io::serialize_safetensors(f);
    const std::string header(reinterpret_cast<const char*>(out.data() + 8), out.size() - 12);
    CHECK(header.substr(0, expected.size()) == expected);
    CHECK(parse(out).tensors.count(name) == 1);
  }
}

TEST_CASE("safetensors: writer refuses names and metadata that are not UTF-8",
          "[io][safetensors]") {
  // Ill-formed: a stray continuation-range byte, an overlong NUL, a surrogate, past U+10FFFF,
  // a truncated sequence.
  const std::array<float, 1> one{1};
  for (const std::string bad :
       {"\xff", "a\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "x\xe2\x82"}) {
    SafetensorsFile named;
    named.tensors[bad] = dae::io::make_tensor<float>({1}, one);
    require_error([&] { (void)dae::io::serialize_safetensors(named); }, {"invalid tensor name"});
    SafetensorsFile key;
    key.metadata.emplace(bad, std::string(1, 'v'));
    require_error([&] { (void)dae::io::serialize_safetensors(key); },
                  {"metadata", "not valid UTF-8"});
    SafetensorsFile value;
    value.metadata.emplace(std::string(1, 'k'), bad);
    require_error([&] { (void)dae::io::serialize_safetensors(value); },
                  {"metadata 'k'", "not valid UTF-8"});
  }
}

TEST_CASE("safetensors: file round trip keeps tensors, metadata and bytes", "[io][safetensors]") {
  TempDir dir;
  SafetensorsFile f;
  std::vector<float> w(8 * 1 * 3 * 3);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.25f * static_cast<float>(i) - 3.0f;
  const std::array<std::int64_t, 1> nbt{1875};
  const std::array<float, 0> none{};
  f.tensors["encoder.encoder_cnn.0.weight"] = dae::io::make_tensor<float>({8, 1, 3, 3}, w);
  f.tensors["encoder.encoder_cnn.3.num_batches_tracked"] =
      dae::io::make_tensor<std::int64_t>({}, nbt);
  f.tensors["empty"] = dae::io::make_tensor<float>({0, 4}, none);
  f.metadata["format"] = "pt";
  f.metadata["note"] = "dae";
  const auto path = dir / "model.safetensors";
  dae::io::write_safetensors(path, f);
  const SafetensorsFile g = dae::io::read_safetensors(path);
  REQUIRE(g.tensors.size() == 3);
  CHECK(g.metadata == f.metadata);
  const auto& t = g.tensors.at("encoder.encoder_cnn.0.weight");
  CHECK(t.dtype == DType::F32);
  CHECK(t.shape == std::vector<std::int64_t>{8, 1, 3, 3});
  CHECK(t.values<float>() == w);
  std::vector<float> buf(w.size());
  t.copy_to<float>(buf);
  CHECK(buf == w);
  CHECK(g.tensors.at("encoder.encoder_cnn.3.num_batches_tracked").values<std::int64_t>() ==
        std::vector<std::int64_t>{1875});
  CHECK(g.tensors.at("empty").numel() == 0);
  // Re-serialising what was read gives the file back bit for bit.
  CHECK(dae::io::serialize_safetensors(g) == read_bytes(path));
  // Typed access checks the dtype and the buffer size.
  require_error([&] { (void)t.values<double>(); }, {"F32", "F64"});
  std::vector<float> small(3);
  require_error([&] { t.copy_to<float>(small); }, {"72", "3"});
  require_error([&] { (void)dae::io::make_tensor<float>({2, 2}, std::span<const float>(w)); },
                {"make_tensor"});
}

TEST_CASE("safetensors: helpers for checkpoint validation", "[io][safetensors]") {
  SafetensorsFile f;
  const std::array<float, 4> v{1, 2, 3, 4};
  f.tensors["a.weight"] = dae::io::make_tensor<float>({2, 2}, v);
  const std::array<std::int64_t, 2> s22{2, 2}, s41{4, 1};
  CHECK(&dae::io::expect_tensor(f, "a.weight", DType::F32, s22, "m.st") == &f.tensors["a.weight"]);
  require_error([&] { dae::io::expect_tensor(f, "b", DType::F32, s22, "m.st"); },
                {"m.st", "'b'", "missing"});
  require_error([&] { dae::io::expect_tensor(f, "a.weight", DType::I64, s22, "m.st"); },
                {"m.st", "'a.weight'", "dtype F32, expected I64"});
  require_error([&] { dae::io::expect_tensor(f, "a.weight", DType::F32, s41, "m.st"); },
                {"m.st", "'a.weight'", "shape [2,2], expected [4,1]"});
  const std::vector<std::string> ok{"a.weight"}, more{"a.weight", "a.bias"}, none{};
  dae::io::expect_tensor_names(f, ok, "m.st");
  require_error([&] { dae::io::expect_tensor_names(f, more, "m.st"); }, {"'a.bias'", "missing"});
  require_error([&] { dae::io::expect_tensor_names(f, none, "m.st"); },
                {"unexpected tensor 'a.weight'"});
}

TEST_CASE("safetensors: the reader rejects every malformed file", "[io][safetensors]") {
  const Bytes data24(24, std::byte{0});
  const std::string good = R"({"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
  REQUIRE(parse(st_image(good, data24)).tensors.at("t").numel() == 6);

  SECTION("empty") { require_error([&] { parse({}); }, {"ck.safetensors", "empty"}); }
  SECTION("shorter than the length field") {
    require_error([&] { parse(bytes_of({1, 0, 0})); }, {"ck.safetensors", "truncated"});
  }
  SECTION("header length over 100 MB") {
    Bytes b;
    append_u64_le(b, 100'000'001);
    append(b, bytes_of("{}"));
    require_error([&] { parse(b); }, {"ck.safetensors", "header length 100000001", "limit"});
    Bytes huge;
    append_u64_le(huge, UINT64_MAX);
    require_error([&] { parse(huge); }, {"limit"});
  }
  SECTION("header runs past the end of the file") {
    Bytes b;
    append_u64_le(b, 64);
    append(b, bytes_of("{}"));
    require_error([&] { parse(b); }, {"ck.safetensors", "header length 64", "past the end"});
  }
  SECTION("truncated data section") {
    Bytes b = st_image(good, data24);
    b.resize(b.size() - 4);
    require_error([&] { parse(b); }, {"'t'", "out of range", "20 bytes"});
  }
  SECTION("not JSON") {
    require_error([&] { parse(st_image("{\"t\": nope}", {})); },
                  {"ck.safetensors", "not valid JSON"});
    require_error([&] { parse(st_image("", {})); }, {"not valid JSON"});
  }
  SECTION("JSON but not an object") {
    require_error([&] { parse(st_image("[1,2]", {})); }, {"not a JSON object"});
  }
  SECTION("header not UTF-8") {
    for (const char* h : {"{\"\xff\":1}", "{\"a\xc0\x80\":1}", "{\"\xed\xa0\x80\":1}"}) {
      try {
        parse(st_image(h, {}));
        FAIL("accepted " << h);
      } catch (const dae::Error& e) {
        const std::string what = e.what();
        CHECK(what.find("ck.safetensors: header is not valid UTF-8") == 0);
        // The offending bytes are quoted escaped, so that the message is valid one-line text.
        CHECK(std::all_of(what.begin(), what.end(), [](char c) {
          return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
        }));
      }
    }
    // Outside a string, a non-ASCII byte is a JSON syntax error.
    require_error([&] { parse(st_image("{}\xff", {})); }, {"not valid JSON"});
  }
  SECTION("a NUL byte, which nlohmann's parser would take for the end of the header") {
    const std::string h = good + std::string(1, '\0') + "\xff garbage";
    require_error([&] { parse(st_image(h, data24)); },
                  {"ck.safetensors", "NUL byte at offset " + std::to_string(good.size())});
  }
  SECTION("duplicate tensor name") {
    const std::string h = R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                          R"("t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
    require_error([&] { parse(st_image(h, Bytes(1))); }, {"duplicate key 't'"});
  }
  SECTION("unknown dtype") {
    const std::string h = R"({"t":{"dtype":"F128","shape":[2,3],"data_offsets":[0,24]}})";
    require_error([&] { parse(st_image(h, data24)); }, {"'t'", "unknown dtype 'F128'"});
    const std::string h2 = R"({"t":{"dtype":5,"shape":[2,3],"data_offsets":[0,24]}})";
    require_error([&] { parse(st_image(h2, data24)); }, {"'t'", "'dtype' is not a string"});
  }
  SECTION("shape x dtype does not match the byte range") {
    const std::string h = R"({"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,24]}})";
    require_error([&] { parse(st_image(h, data24)); }, {"'t'", "16 bytes", "span 24"});
    const std::string h2 = R"({"t":{"dtype":"F64","shape":[2,3],"data_offsets":[0,24]}})";
    require_error([&] { parse(st_image(h2, data24)); }, {"'t'", "F64", "48 bytes"});
  }
  SECTION("shape overflow") {
    const std::string h =
        R"({"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,24]}})";
    require_error([&] { parse(st_image(h, data24)); }, {"'t'", "overflows"});
  }
  SECTION("bad shape values") {
    for (const char* s : {"[-1,3]", "[2.0,3]", "[\"2\",3]", "6", "[18446744073709551616]"}) {
      const std::string h =
          std::string(R"({"t":{"dtype":"F32","shape":)") + s + R"(,"data_offsets":[0,24]}})";
      require_error([&] { parse(st_image(h, data24)); }, {"'t'", "'shape'"});
    }
  }
  SECTION("bad data_offsets values") {
    for (const char* o : {"[0]", "[0,24,24]", "[-1,23]", "[0.0,24]", "{}", "[24,0]"}) {
      const std::string h =
          std::string(R"({"t":{"dtype":"U8","shape":[24],"data_offsets":)") + o + "}}";
      require_error([&] { parse(st_image(h, data24)); }, {"'t'", "data_offsets"});
    }
  }
  SECTION("missing and unexpected fields") {
    const std::string missing = R"({"t":{"dtype":"F32","shape":[2,3]}})";
    require_error([&] { parse(st_image(missing, data24)); }, {"'t'", "missing field 'data_offsets'"});
    const std::string extra =
        R"({"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24],"stride":[3,1]}})";
    require_error([&] { parse(st_image(extra, data24)); }, {"'t'", "unexpected field 'stride'"});
    require_error([&] { parse(st_image(R"({"t":[1]})", {})); }, {"'t'", "not an object"});
  }
  SECTION("offsets out of range") {
    const std::string h = R"({"t":{"dtype":"F32","shape":[2,3],"data_offsets":[24,48]}})";
    require_error([&] { parse(st_image(h, data24)); }, {"'t'", "[24, 48]", "out of range"});
  }
  SECTION("overlapping tensors") {
    const std::string h = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                          R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})";
    require_error([&] { parse(st_image(h, data24)); }, {"'b'", "overlap"});
  }
  SECTION("gap between tensors, or before the first") {
    const std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})";
    require_error([&] { parse(st_image(h, data24)); }, {"'b'", "gap of 8 bytes"});
    const std::string h2 = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})";
    require_error([&] { parse(st_image(h2, data24)); }, {"'a'", "gap"});
  }
  SECTION("trailing bytes") {
    Bytes b = st_image(good, data24);
    b.push_back(std::byte{0});
    require_error([&] { parse(b); }, {"ck.safetensors", "1 trailing bytes"});
    require_error([&] { parse(st_image("{}", Bytes(3))); }, {"3 trailing bytes"});
  }
  SECTION("metadata must be string to string") {
    const std::string h = R"({"__metadata__":{"epoch":3},"t":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
    require_error([&] { parse(st_image(h, data24)); }, {"__metadata__", "'epoch'", "not a string"});
    require_error([&] { parse(st_image(R"({"__metadata__":"x"})", {})); }, {"__metadata__"});
  }
  SECTION("reading names the path; missing file") {
    TempDir dir;
    const auto p = dir / "bad.safetensors";
    write_bytes(p, st_image("[]", {}));
    require_error([&] { dae::io::read_safetensors(p); }, {p.string(), "not a JSON object"});
    require_error([&] { dae::io::read_safetensors(dir / "none.safetensors"); },
                  {"none.safetensors", "not found"});
  }
}

TEST_CASE("safetensors: writer rejects inconsistent tensors and keeps the old file",
          "[io][safetensors]") {
  TempDir dir;
  const auto path = dir / "m.safetensors";
  SafetensorsFile good;
  const std::array<float, 2> v{1, 2};
  good.tensors["w"] = dae::io::make_tensor<float>({2}, v);
  dae::io::write_safetensors(path, good);
  const Bytes before = read_bytes(path);

  SafetensorsFile bad = good;
  bad.tensors["w"].shape = {3};
  require_error([&] { dae::io::write_safetensors(path, bad); }, {path.string(), "'w'"});
  CHECK(read_bytes(path) == before);
  SafetensorsFile reserved = good;
  reserved.tensors["__metadata__"] = good.tensors["w"];
  require_error([&] { dae::io::write_safetensors(path, reserved); }, {"__metadata__"});
  CHECK(read_bytes(path) == before);
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);
}
