// .npy: NumPy's array file, the format dae exchanges codes, labels, images and assignments in.
//
// Layout: magic "\x93NUMPY", version (major, minor), header length (u16 LE for 1.0, u32 LE for 2.0
// and 3.0), a Python dict literal {'descr': .., 'fortran_order': .., 'shape': (..)} padded with
// spaces and ended by '\n', then the raw data. We read versions 1.0, 2.0 and 3.0 and write 1.0
// exactly as NumPy 1.24 does (keys sorted, 21-digit growth padding, data aligned to 64 bytes).
//
// Deliberately small: the dtypes u1, i4, i8, f4, f8, little-endian ('<', or '|' for u1), C order
// only. The header parser is strict — exactly the three keys, each once, Python literal syntax
// only — and the data must fill the file exactly. Every failure throws dae::Error naming the file
// and the field. Arrays are RawTensor (io/raw_tensor.hpp), the type safetensors uses too: raw
// bytes plus dtype and shape, with typed helpers to copy them out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dae/error.hpp"
#include "dae/io/atomic_file.hpp"
#include "dae/io/raw_tensor.hpp"

namespace dae::io {

/// The descr NumPy writes for a dtype, for the five dtypes dae reads and writes in .npy files:
/// U8 "|u1", I32 "<i4", I64 "<i8", F32 "<f4", F64 "<f8".
/// @param d a dtype.
/// @return its descr, or std::nullopt for a dtype dae does not exchange as .npy.
constexpr std::optional<std::string_view> npy_descr(DType d) noexcept {
  switch (d) {
    case DType::U8:
      return "|u1";
    case DType::I32:
      return "<i4";
    case DType::I64:
      return "<i8";
    case DType::F32:
      return "<f4";
    case DType::F64:
      return "<f8";
    default:
      return std::nullopt;
  }
}

namespace detail {

/// A strict parser of the Python dict literal in a .npy header.
class NpyHeaderParser {
 public:
  NpyHeaderParser(std::string_view text, const std::string& source)
      : s_(text), source_(source) {}

  RawTensor parse() {
    bool have_descr = false, have_order = false, have_shape = false;
    RawTensor out;
    skip_ws();
    expect('{', "header does not start with '{'");
    for (;;) {
      skip_ws();
      if (peek() == '}') { ++i_; break; }
      const std::string key = string_literal("header key");
      skip_ws();
      expect(':', "expected ':' after key " + detail::quoted(key));
      skip_ws();
      if (key == "descr") {
        if (have_descr) fail("header: duplicate key 'descr'");
        have_descr = true;
        const std::string descr = string_literal("descr");
        out.dtype = dtype_from_descr(descr);
      } else if (key == "fortran_order") {
        if (have_order) fail("header: duplicate key 'fortran_order'");
        have_order = true;
        if (s_.substr(i_, 5) == "False") {
          i_ += 5;
        } else if (s_.substr(i_, 4) == "True") {
          fail("header: fortran_order is True; only C-order arrays are supported");
        } else {
          fail("header: fortran_order is not True or False");
        }
      } else if (key == "shape") {
        if (have_shape) fail("header: duplicate key 'shape'");
        have_shape = true;
        out.shape = shape_tuple();
      } else {
        fail("header: unexpected key " + detail::quoted(key));
      }
      skip_ws();
      if (peek() == ',') { ++i_; continue; }
      skip_ws();
      expect('}', "header: expected ',' or '}'");
      break;
    }
    skip_ws();
    if (i_ != s_.size()) fail("header: unexpected text after the dict");
    if (!have_descr) fail("header: missing key 'descr'");
    if (!have_order) fail("header: missing key 'fortran_order'");
    if (!have_shape) fail("header: missing key 'shape'");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw Error(source_ + ": " + what); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  void expect(char c, const std::string& what) {
    if (peek() != c) fail(what);
    ++i_;
  }
  std::string string_literal(const std::string& what) {
    const char q = peek();
    if (q != '\'' && q != '"') fail("header: " + what + " is not a string");
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\') fail("header: escapes are not supported in " + what);
      out += s_[i_++];
    }
    if (i_ >= s_.size()) fail("header: unterminated string in " + what);
    ++i_;
    return out;
  }
  std::vector<std::int64_t> shape_tuple() {
    expect('(', "header: shape is not a tuple");
    std::vector<std::int64_t> shape;
    bool trailing_comma = false;
    for (;;) {
      skip_ws();
      if (peek() == ')') { ++i_; break; }
      if (peek() < '0' || peek() > '9') fail("header: shape holds a non-integer");
      std::uint64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        const auto digit = static_cast<std::uint64_t>(peek() - '0');
        if (v > (static_cast<std::uint64_t>(INT64_MAX) - digit) / 10) {
          fail("header: shape extent too large");
        }
        v = v * 10 + digit;
        ++i_;
      }
      shape.push_back(static_cast<std::int64_t>(v));
      skip_ws();
      trailing_comma = false;
      if (peek() == ',') { ++i_; trailing_comma = true; continue; }
      expect(')', "header: shape tuple is malformed");
      break;
    }
    // Python needs the comma in a 1-tuple: "(5)" is the integer 5, not a tuple.
    if (shape.size() == 1 && !trailing_comma) fail("header: shape (n) is not a tuple, expected (n,)");
    return shape;
  }
  DType dtype_from_descr(const std::string& d) const {
    if (d == "|u1" || d == "<u1") return DType::U8;
    if (d == "<i4") return DType::I32;
    if (d == "<i8") return DType::I64;
    if (d == "<f4") return DType::F32;
    if (d == "<f8") return DType::F64;
    fail("unsupported dtype " + detail::quoted(d) + " (supported: |u1 <i4 <i8 <f4 <f8, little-endian)");
  }

  std::string_view s_;
  const std::string& source_;
  std::size_t i_ = 0;
};

}  // namespace detail

/// Parses a complete .npy image held in memory.
/// @param bytes the whole file.
/// @param source name used in error messages (normally the path).
/// @return dtype, shape and data.
/// @throws dae::Error "source: <field>: <problem>" for a bad magic, an unsupported version, a
///         malformed header, an unsupported dtype, fortran_order True, or a data size that differs
///         from the shape (truncated or trailing bytes).
inline RawTensor parse_npy(std::span<const std::byte> bytes, const std::string& source) {
  auto fail = [&](const std::string& what) { throw Error(source + ": " + what); };
  static constexpr unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 6 || std::memcmp(bytes.data(), magic, 6) != 0) {
    fail(bytes.empty() ? "empty file, not a .npy file" : "not a .npy file (bad magic)");
  }
  if (bytes.size() < 10) fail("truncated .npy preamble");
  const auto major = static_cast<unsigned>(bytes[6]);
  const auto minor = static_cast<unsigned>(bytes[7]);
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    fail("unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor));
  }
  std::size_t header_len = 0, prefix = 0;
  if (major == 1) {
    header_len = static_cast<std::size_t>(bytes[8]) | (static_cast<std::size_t>(bytes[9]) << 8);
    prefix = 10;
  } else {
    if (bytes.size() < 12) fail("truncated .npy preamble");
    for (int k = 0; k < 4; ++k) header_len |= static_cast<std::size_t>(bytes[8 + k]) << (8 * k);
    prefix = 12;
  }
  if (header_len > bytes.size() - prefix) {
    fail("header length " + std::to_string(header_len) + " runs past the end of the file");
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + prefix), header_len);
  if (text.empty() || text.back() != '\n') fail("header does not end with a newline");
  RawTensor out = detail::NpyHeaderParser(text, source).parse();
  const std::size_t data_size = bytes.size() - prefix - header_len;
  const auto count = detail::checked_product(out.shape, UINT64_MAX / dtype_size(out.dtype));
  if (!count) fail("shape overflows");
  const std::uint64_t expected = *count * dtype_size(out.dtype);
  if (expected != data_size) {
    fail("data size " + std::to_string(data_size) + " bytes, but shape and dtype " +
         std::string(*npy_descr(out.dtype)) + " need " + std::to_string(expected) +
         (data_size < expected ? " (truncated)" : " (trailing bytes)"));
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(prefix + header_len), bytes.end());
  return out;
}

/// Reads a .npy file (version 1.0, 2.0 or 3.0).
/// @param path the file.
/// @return dtype, shape and data.
/// @throws dae::Error naming the path and the field on any problem (see parse_npy).
inline RawTensor read_npy(const std::filesystem::path& path) {
  return parse_npy(read_file_bytes(path), path.string());
}

/// Encodes an array as a version 1.0 .npy image, byte-identical to numpy.save (NumPy 1.24).
/// @param array dtype, shape and data; data.size() must equal product(shape) x dtype size.
/// @return the complete file.
/// @throws dae::Error when the dtype has no npy_descr or the data do not match the shape.
inline std::vector<std::byte> serialize_npy(const RawTensor& array) {
  const std::optional<std::string_view> descr = npy_descr(array.dtype);
  if (!descr) {
    throw Error(".npy: dtype " + std::string(dtype_name(array.dtype)) +
                " is not written as .npy (supported: U8 I32 I64 F32 F64)");
  }
  const auto count = detail::checked_product(array.shape);
  if (!count || *count * dtype_size(array.dtype) != array.data.size()) {
    throw Error(".npy: " + std::to_string(array.data.size()) +
                " data bytes do not match the shape and dtype");
  }
  std::string shape = "(";
  for (std::size_t i = 0; i < array.shape.size(); ++i) {
    if (i) shape += ", ";
    shape += std::to_string(array.shape[i]);
  }
  if (array.shape.size() == 1) shape += ',';
  shape += ')';
  std::string header =
      "{'descr': '" + std::string(*descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // NumPy leaves room to grow the first axis in place: 21 digits minus the current ones.
  if (!array.shape.empty()) {
    const std::size_t digits = std::to_string(array.shape[0]).size();
    if (digits < 21) header.append(21 - digits, ' ');
  }
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 0xffff) throw Error(".npy: header too long for version 1.0");
  std::vector<std::byte> out;
  out.reserve(10 + header.size() + array.data.size());
  static constexpr unsigned char preamble[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  for (const unsigned char c : preamble) {
    out.push_back(static_cast<std::byte>(c));
  }
  out.push_back(static_cast<std::byte>(header.size() & 0xff));
  out.push_back(static_cast<std::byte>(header.size() >> 8));
  for (const char c : header) out.push_back(static_cast<std::byte>(c));
  out.insert(out.end(), array.data.begin(), array.data.end());
  return out;
}

/// Writes a .npy file (version 1.0) atomically.
/// @param path the destination; its directory must exist.
/// @param array dtype, shape and data.
/// @post on failure the previous file at `path`, if any, is unchanged.
/// @throws dae::Error naming the path on failure.
inline void write_npy(const std::filesystem::path& path, const RawTensor& array) {
  std::vector<std::byte> bytes;
  try {
    bytes = serialize_npy(array);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  write_file_atomic(path, bytes);
}

/// Typed convenience: writes `values` with `shape` as a .npy file, atomically.
/// @tparam T uint8_t, int32_t, int64_t, float or double.
/// @param path the destination.
/// @param shape extents, C order.
/// @param values exactly product(shape) values.
/// @throws dae::Error naming the path when the count does not match or the write fails.
template <class T>
void write_npy(const std::filesystem::path& path, std::vector<std::int64_t> shape,
               std::span<const T> values) {
  static_assert(npy_descr(dtype_of<T>()).has_value(), "dae::io::write_npy: no .npy dtype for T");
  RawTensor a;
  try {
    a = make_tensor<T>(std::move(shape), values);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  write_npy(path, a);
}

}  // namespace dae::io
