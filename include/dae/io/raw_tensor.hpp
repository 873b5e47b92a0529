// RawTensor: an array as files hold it — element type, C-order shape, raw little-endian bytes —
// the one value that both dae's file formats read into and write from (.npy in io/npy.hpp,
// safetensors in io/safetensors.hpp). Keeping a single type means a tensor read from one format
// can be written to the other, and the typed access (values, copy_to) and its checks exist once.
//
// The element types are the safetensors spec's (DType, a superset of the five .npy dtypes dae
// supports); each format says which of them it can write.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "dae/error.hpp"

namespace dae::io {

static_assert(std::endian::native == std::endian::little,
              "dae::io reads and writes little-endian data in place; big-endian hosts unsupported");

/// Element types of the safetensors spec, declared in the order of the official crate's `Dtype`
/// enum: that order is the safetensors writer's sort key (see io/safetensors.hpp), so do not
/// reorder.
enum class DType : std::uint8_t {
  BOOL,
  U8,
  I8,
  F8_E5M2,
  F8_E4M3,
  F8_E8M0,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  C64,
  F64,
  I64,
  U64,
};

/// Size in bytes of one element of `dtype`.
/// @param dtype an element type.
/// @return 1, 2, 4 or 8.
constexpr std::size_t dtype_size(DType dtype) noexcept {
  switch (dtype) {
    case DType::BOOL:
    case DType::U8:
    case DType::I8:
    case DType::F8_E5M2:
    case DType::F8_E4M3:
    case DType::F8_E8M0:
      return 1;
    case DType::I16:
    case DType::U16:
    case DType::F16:
    case DType::BF16:
      return 2;
    case DType::I32:
    case DType::U32:
    case DType::F32:
      return 4;
    case DType::C64:
    case DType::F64:
    case DType::I64:
    case DType::U64:
      return 8;
  }
  return 0;
}

/// The spec's name of `dtype` ("F32", "I64", ...).
/// @param dtype an element type.
/// @return its name as written in safetensors headers.
constexpr std::string_view dtype_name(DType dtype) noexcept {
  switch (dtype) {
    case DType::BOOL:
      return "BOOL";
    case DType::U8:
      return "U8";
    case DType::I8:
      return "I8";
    case DType::F8_E5M2:
      return "F8_E5M2";
    case DType::F8_E4M3:
      return "F8_E4M3";
    case DType::F8_E8M0:
      return "F8_E8M0";
    case DType::I16:
      return "I16";
    case DType::U16:
      return "U16";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I32:
      return "I32";
    case DType::U32:
      return "U32";
    case DType::F32:
      return "F32";
    case DType::C64:
      return "C64";
    case DType::F64:
      return "F64";
    case DType::I64:
      return "I64";
    case DType::U64:
      return "U64";
  }
  return "?";
}

/// Parses a dtype name as written in safetensors headers (case-sensitive).
/// @param name e.g. "F32".
/// @return the dtype, or std::nullopt when the name is not one of the spec's.
inline std::optional<DType> dtype_from_name(std::string_view name) noexcept {
  for (int i = 0; i <= static_cast<int>(DType::U64); ++i) {
    const auto d = static_cast<DType>(i);
    if (dtype_name(d) == name) return d;
  }
  return std::nullopt;
}

/// The DType of a C++ element type: float F32, double F64, int64 I64, int32 I32, uint8 U8,
/// int8 I8, int16 I16, uint16 U16, uint32 U32, uint64 U64, bool BOOL.
template <class T>
constexpr DType dtype_of() noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>)
    return DType::F32;
  else if constexpr (std::is_same_v<U, double>)
    return DType::F64;
  else if constexpr (std::is_same_v<U, std::int64_t>)
    return DType::I64;
  else if constexpr (std::is_same_v<U, std::int32_t>)
    return DType::I32;
  else if constexpr (std::is_same_v<U, std::int16_t>)
    return DType::I16;
  else if constexpr (std::is_same_v<U, std::int8_t>)
    return DType::I8;
  else if constexpr (std::is_same_v<U, std::uint64_t>)
    return DType::U64;
  else if constexpr (std::is_same_v<U, std::uint32_t>)
    return DType::U32;
  else if constexpr (std::is_same_v<U, std::uint16_t>)
    return DType::U16;
  else if constexpr (std::is_same_v<U, std::uint8_t>)
    return DType::U8;
  else if constexpr (std::is_same_v<U, bool>)
    return DType::BOOL;
  else
    static_assert(sizeof(U) == 0, "dae::io::dtype_of: no safetensors dtype for this type");
}

namespace detail {

/// Quotes a name for an error message, escaping control characters so the message stays one line.
inline std::string quoted(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "'";
}

/// Product of non-negative extents, or nullopt when it exceeds `limit`.
inline std::optional<std::uint64_t> checked_product(std::span<const std::int64_t> shape,
                                                    std::uint64_t limit = UINT64_MAX) {
  std::uint64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 0) return std::nullopt;
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && n > limit / u) return std::nullopt;
    n *= u;
  }
  return n <= limit ? std::optional<std::uint64_t>(n) : std::nullopt;
}

}  // namespace detail

/// A tensor as a file holds it: element type, shape (C order) and raw little-endian bytes. What
/// parse_npy and parse_safetensors return and serialize_npy and serialize_safetensors take.
struct RawTensor {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> data;

  /// Number of elements (product of the shape; 1 for a scalar).
  /// @return the element count.
  /// @pre the shape's product fits in 63 bits (always true for a tensor that was read or built by
  ///      the helpers here).
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (const auto d : shape) n *= d;
    return n;
  }

  /// Copies the elements out as `T`.
  /// @tparam T the C++ element type; must match the dtype exactly (see dtype_of).
  /// @return numel() values.
  /// @throws dae::Error when the dtype is not dtype_of<T>() or the byte count is inconsistent.
  template <class T>
  std::vector<T> values() const {
    check_type<T>();
    std::vector<T> out(data.size() / sizeof(T));
    if (!data.empty()) std::memcpy(out.data(), data.data(), data.size());
    return out;
  }

  /// Copies the elements into a caller buffer of exactly numel() elements.
  /// @tparam T the C++ element type; must match the dtype exactly.
  /// @param out destination, out.size() == numel().
  /// @throws dae::Error on a dtype or size mismatch.
  template <class T>
  void copy_to(std::span<T> out) const {
    check_type<T>();
    if (out.size() * sizeof(T) != data.size()) {
      throw Error("tensor of " + std::to_string(data.size() / sizeof(T)) +
                  " elements copied into a buffer of " + std::to_string(out.size()));
    }
    if (!data.empty()) std::memcpy(out.data(), data.data(), data.size());
  }

 private:
  template <class T>
  void check_type() const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (dtype != dtype_of<T>()) {
      throw Error("tensor has dtype " + std::string(dtype_name(dtype)) + ", read as " +
                  std::string(dtype_name(dtype_of<T>())));
    }
    const auto n = detail::checked_product(shape);
    if (!n || data.size() != *n * sizeof(T)) {
      throw Error("tensor data size does not match its shape");
    }
  }
};

/// Builds a tensor from typed values.
/// @tparam T element type (float, double, int64_t, ...; see dtype_of).
/// @param shape extents, each >= 0, C order.
/// @param values exactly product(shape) values.
/// @return the tensor, dtype dtype_of<T>().
/// @throws dae::Error when the number of values does not match the shape.
template <class T>
RawTensor make_tensor(std::vector<std::int64_t> shape, std::span<const T> values) {
  const auto n = detail::checked_product(shape);
  if (!n || *n != values.size()) {
    throw Error("make_tensor: " + std::to_string(values.size()) + " values do not match the shape");
  }
  RawTensor t;
  t.dtype = dtype_of<T>();
  t.shape = std::move(shape);
  t.data.resize(values.size_bytes());
  if (!values.empty()) std::memcpy(t.data.data(), values.data(), values.size_bytes());
  return t;
}

}  // namespace dae::io
