// safetensors: a strict reader and a byte-exact writer for the checkpoint format of Hugging Face's
// `safetensors` library, which is what PyTorch users save state_dicts in.
//
// File layout: an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON, then the
// data section. The JSON object maps each tensor name to {"dtype","shape","data_offsets"} (offsets
// relative to the data section, [begin, end)) and may hold "__metadata__", a string->string map.
//
// Reader: everything is checked and any violation throws dae::Error with one line naming the file
// and the field or tensor: N <= 100,000,000 and 8 + N <= file size; the header is valid UTF-8 JSON
// (and holds no NUL byte) nested at most 16 levels, an object without duplicate keys or empty
// tensor names; every entry has exactly the keys dtype/shape/data_offsets; the dtype is known; the
// shape is a list of non-negative integers; shape x dtype size equals the byte range (without
// overflow); sorted by offset the ranges tile the data section exactly from 0 to its end (no gap,
// no overlap, no trailing bytes). nlohmann::json parses the header and checks its UTF-8.
//
// Writer: byte for byte what the official library (Rust crate, and the Python package built on it)
// writes, from `prepare()` in safetensors/src/tensor.rs:
//  1. tensors are ordered by dtype rank *descending*, then by name ascending (bytewise). The rank
//     is the declaration order of the crate's `Dtype` enum, reproduced by `DType`
//     (io/raw_tensor.hpp), so the order is U64, I64, F64, C64, F32, U32, I32, BF16, F16, U16, I16,
//     F8_E8M0, F8_E4M3, F8_E5M2, I8, U8, BOOL ("alignment descending"; I64 comes before F64
//     because the enum says so);
//  2. data offsets are assigned consecutively from 0 in that order; the data section is the
//     tensors' bytes in that order;
//  3. the header is compact JSON (serde_json style: no spaces, `"` `\` and control characters
//     escaped, lowercase \u00xx, non-ASCII verbatim): `__metadata__` first when there is
//     metadata, then one entry per tensor in data order, each as
//     {"dtype":..,"shape":[..],"data_offsets":[b,e]}. nlohmann::ordered_json's dump() writes
//     exactly that form, and keeps the keys in the order they were inserted;
//  4. the header is padded with spaces (0x20) to a multiple of 8 bytes and N counts the padding.
// The crate keeps metadata in a HashMap, so with two or more metadata keys its key order is not
// defined; we write metadata keys in ascending order. An empty metadata map is not written (the
// crate's `None`), which is what PyTorch's `save_file(..., metadata=None)` produces.
//
// Tensors are RawTensor (io/raw_tensor.hpp), the type .npy files use too. Data are little-endian,
// C order, as in the spec; the host must be little-endian.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dae/error.hpp"
#include "dae/io/atomic_file.hpp"
#include "dae/io/raw_tensor.hpp"

namespace dae::io {

namespace detail {

/// `s` with control characters and non-ASCII bytes written as \xNN, so that text quoted from a
/// hostile header (possibly ill-formed UTF-8) cannot break an error message's single line.
inline std::string printable(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

/// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF): nlohmann's
/// serializer refuses anything else with a type_error. The writer asks per name and per metadata
/// string, before serialising the header, so that its error can say which one is at fault.
inline bool is_utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace detail

/// The contents of a safetensors file: tensors by name, and the optional string metadata.
struct SafetensorsFile {
  std::map<std::string, RawTensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// Looks a tensor up and checks its dtype and shape — the building block for a model's checkpoint
/// validation.
/// @param file a parsed file.
/// @param name the tensor's name.
/// @param dtype the expected dtype.
/// @param shape the expected shape.
/// @param source the file's path, for the error message.
/// @return the tensor.
/// @throws dae::Error "source: tensor 'name': ..." when it is missing or its dtype/shape differ.
inline const RawTensor& expect_tensor(const SafetensorsFile& file, const std::string& name,
                                      DType dtype, std::span<const std::int64_t> shape,
                                      const std::filesystem::path& source) {
  const auto it = file.tensors.find(name);
  if (it == file.tensors.end()) {
    throw Error(source.string() + ": tensor " + detail::quoted(name) + " is missing");
  }
  const RawTensor& t = it->second;
  auto shape_str = [](std::span<const std::int64_t> s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
    return out + "]";
  };
  if (t.dtype != dtype) {
    throw Error(source.string() + ": tensor " + detail::quoted(name) + ": dtype " +
                std::string(dtype_name(t.dtype)) + ", expected " + std::string(dtype_name(dtype)));
  }
  if (!std::equal(t.shape.begin(), t.shape.end(), shape.begin(), shape.end())) {
    throw Error(source.string() + ": tensor " + detail::quoted(name) + ": shape " +
                shape_str(t.shape) + ", expected " + shape_str(shape));
  }
  return t;
}

/// Checks that the file holds exactly the tensors named (in any order): no missing, no extra.
/// @param file a parsed file.
/// @param names the expected tensor names.
/// @param source the file's path, for the error message.
/// @throws dae::Error naming the first missing (in `names` order) or unexpected tensor.
inline void expect_tensor_names(const SafetensorsFile& file, std::span<const std::string> names,
                                const std::filesystem::path& source) {
  for (const auto& n : names) {
    if (!file.tensors.contains(n)) {
      throw Error(source.string() + ": tensor " + detail::quoted(n) + " is missing");
    }
  }
  for (const auto& [n, t] : file.tensors) {
    if (std::find(names.begin(), names.end(), n) == names.end()) {
      throw Error(source.string() + ": unexpected tensor " + detail::quoted(n));
    }
  }
}

/// The largest header the reader accepts, as in the official library.
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

/// The deepest JSON nesting the reader accepts in a header (a valid one needs 3 levels).
inline constexpr int kMaxSafetensorsDepth = 16;

/// Parses a complete safetensors image held in memory (see the file comment for every check).
/// @param bytes the whole file.
/// @param source the name used in error messages (normally the file path).
/// @return the tensors and metadata.
/// @throws dae::Error "source: <field or tensor>: <problem>" on any malformation.
inline SafetensorsFile parse_safetensors(std::span<const std::byte> bytes,
                                         const std::string& source) {
  auto fail = [&](const std::string& what) -> void { throw Error(source + ": " + what); };
  if (bytes.empty()) fail("empty file, not safetensors");
  if (bytes.size() < 8) {
    fail("truncated: " + std::to_string(bytes.size()) +
         " bytes, shorter than the 8-byte header length");
  }
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n > kMaxSafetensorsHeader) {
    fail("header length " + std::to_string(n) + " exceeds the 100000000-byte limit");
  }
  if (n > bytes.size() - 8) {
    fail("header length " + std::to_string(n) + " runs past the end of the file (" +
         std::to_string(bytes.size()) + " bytes)");
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8),
                              static_cast<std::size_t>(n));
  // nlohmann's lexer takes a NUL byte for the end of the input and would ignore what follows it;
  // with none, the parser sees every byte, and it accepts non-ASCII only inside strings and only
  // as well-formed UTF-8, which makes it the header's UTF-8 check as well as its JSON check.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    fail("header holds a NUL byte at offset " + std::to_string(nul) + ", not valid JSON");
  }

  // Parse, recording duplicate keys (nlohmann keeps the last one silently) in a set per open
  // object, so that a header of many keys costs n log n, not n^2. Nesting is bounded before any
  // value is built: a valid header is 3 levels deep, and 100 MB of '[' would otherwise build
  // tens of millions of nested values.
  std::vector<std::set<std::string, std::less<>>> open_objects;
  std::string duplicate;
  bool has_duplicate = false;
  const nlohmann::json::parser_callback_t cb =
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using E = nlohmann::json::parse_event_t;
        if ((event == E::object_start || event == E::array_start) && depth >= kMaxSafetensorsDepth) {
          throw Error(source + ": header: JSON nested deeper than " +
                      std::to_string(kMaxSafetensorsDepth) + " levels");
        }
        if (event == E::object_start) open_objects.emplace_back();
        else if (event == E::object_end) open_objects.pop_back();
        else if (event == E::key && !open_objects.empty()) {
          const std::string& k = parsed.get_ref<const std::string&>();
          if (!open_objects.back().insert(k).second) {
            if (!has_duplicate) duplicate = k;
            has_duplicate = true;
          }
        }
        return true;
      };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann quotes the bytes it last read, which may be the ill-formed UTF-8 itself; escaped,
    // the message stays one line of valid text. Before that quote the message is nlohmann's own
    // words, where "UTF-8" means an ill-formed string ("invalid string: ill-formed UTF-8 byte");
    // the quote is the header's text, so it is not searched.
    const std::string msg = detail::printable(e.what());
    const bool utf8 = msg.substr(0, msg.find("; last read:")).find("UTF-8") != std::string::npos;
    fail(std::string(utf8 ? "header is not valid UTF-8" : "header is not valid JSON") + " (" + msg +
         ")");
  }
  if (!header.is_object()) fail("header is not a JSON object");
  if (has_duplicate) fail("header: duplicate key " + detail::quoted(duplicate));

  struct Entry {
    std::string name;
    DType dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t begin, end;
  };
  std::vector<Entry> entries;
  SafetensorsFile file;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) fail("header: __metadata__ is not an object of strings");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) {
          fail("header: __metadata__ value " + detail::quoted(mk) + " is not a string");
        }
        file.metadata.emplace(mk, mv.get<std::string>());
      }
      continue;
    }
    const std::string where = "tensor " + detail::quoted(key);
    // The writer refuses an empty name too, so what is read can always be written back.
    if (key.empty()) fail("header: a tensor has an empty name");
    if (!value.is_object()) fail(where + ": entry is not an object");
    for (const auto& [field, ignored] : value.items()) {
      (void)ignored;
      if (field != "dtype" && field != "shape" && field != "data_offsets") {
        fail(where + ": unexpected field " + detail::quoted(field));
      }
    }
    for (const char* field : {"dtype", "shape", "data_offsets"}) {
      if (!value.contains(field)) fail(where + ": missing field '" + field + "'");
    }
    Entry e{key, DType::F32, {}, 0, 0};
    const auto& jd = value["dtype"];
    if (!jd.is_string()) fail(where + ": field 'dtype' is not a string");
    const auto dtype = dtype_from_name(jd.get_ref<const std::string&>());
    if (!dtype) {
      fail(where + ": unknown dtype " + detail::quoted(jd.get_ref<const std::string&>()));
    }
    e.dtype = *dtype;
    const auto& js = value["shape"];
    if (!js.is_array()) fail(where + ": field 'shape' is not a list");
    for (const auto& d : js) {
      if (!d.is_number_unsigned() ||
          d.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        fail(where + ": field 'shape' holds " + d.dump() + ", not a non-negative integer");
      }
      e.shape.push_back(static_cast<std::int64_t>(d.get<std::uint64_t>()));
    }
    const auto& jo = value["data_offsets"];
    if (!jo.is_array() || jo.size() != 2 || !jo[0].is_number_unsigned() ||
        !jo[1].is_number_unsigned()) {
      fail(where + ": field 'data_offsets' is not a pair of non-negative integers");
    }
    e.begin = jo[0].get<std::uint64_t>();
    e.end = jo[1].get<std::uint64_t>();
    if (e.end < e.begin) {
      fail(where + ": field 'data_offsets' [" + std::to_string(e.begin) + ", " +
           std::to_string(e.end) + "] ends before it begins");
    }
    const auto count = detail::checked_product(e.shape, UINT64_MAX / dtype_size(e.dtype));
    if (!count) fail(where + ": shape overflows (element count times dtype size)");
    const std::uint64_t expected = *count * dtype_size(e.dtype);
    if (expected != e.end - e.begin) {
      fail(where + ": shape x " + std::string(dtype_name(e.dtype)) + " is " +
           std::to_string(expected) + " bytes but data_offsets span " +
           std::to_string(e.end - e.begin));
    }
    entries.push_back(std::move(e));
  }

  // The ranges, sorted by offset, must tile [0, data size) exactly.
  const std::uint64_t data_size = bytes.size() - 8 - n;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t cursor = 0;
  for (const Entry& e : entries) {
    const std::string where = "tensor " + detail::quoted(e.name) + ": data_offsets [" +
                              std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
    if (e.end > data_size) {
      fail(where + " out of range: the data section has " + std::to_string(data_size) +
           " bytes");
    }
    if (e.begin < cursor) fail(where + " overlap the previous tensor (which ends at " +
                               std::to_string(cursor) + ")");
    if (e.begin > cursor) fail(where + " leave a gap of " + std::to_string(e.begin - cursor) +
                               " bytes after offset " + std::to_string(cursor));
    cursor = e.end;
  }
  if (cursor != data_size) {
    fail(std::to_string(data_size - cursor) + " trailing bytes after the last tensor (data ends at " +
         std::to_string(cursor) + ", data section has " + std::to_string(data_size) + ")");
  }
  const std::byte* data = bytes.data() + 8 + n;
  for (Entry& e : entries) {
    RawTensor t;
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    t.data.assign(data + e.begin, data + e.end);
    file.tensors.emplace(std::move(e.name), std::move(t));
  }
  return file;
}

/// Reads and validates a safetensors file.
/// @param path the file.
/// @return its tensors and metadata.
/// @throws dae::Error "path: <field or tensor>: <problem>" when the file cannot be read or is
///         malformed in any way listed in the file comment.
inline SafetensorsFile read_safetensors(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = read_file_bytes(path);
  return parse_safetensors(bytes, path.string());
}

/// The order the official writer puts tensors in: dtype rank descending, then name ascending.
/// @param file the tensors.
/// @return their names in data order.
inline std::vector<std::string> safetensors_data_order(const SafetensorsFile& file) {
  std::vector<std::pair<DType, std::string>> keys;
  for (const auto& [name, t] : file.tensors) keys.emplace_back(t.dtype, name);
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second < b.second;
  });
  std::vector<std::string> names;
  for (auto& k : keys) names.push_back(std::move(k.second));
  return names;
}

/// Serialises to the exact bytes the official library writes (see the file comment).
/// @param file tensors and metadata; each tensor's data must match its shape and dtype.
/// @return the complete file image.
/// @throws dae::Error when a tensor's byte count does not match shape x dtype, a name is
///         "__metadata__" or empty, or a name/metadata string is not valid UTF-8.
inline std::vector<std::byte> serialize_safetensors(const SafetensorsFile& file) {
  // ordered_json keeps insertion order, which is the order the official writer uses. Its object
  // is a vector searched linearly on every operator[] or emplace, quadratic in the number of
  // tensors; the names here are unique already (keys of std::maps, "__metadata__" refused), so
  // the entries are appended to that vector and the object built from it in one step.
  using Json = nlohmann::ordered_json;
  Json::object_t entries;
  entries.reserve(file.tensors.size() + 1);
  if (!file.metadata.empty()) {
    Json::object_t metadata;
    metadata.reserve(file.metadata.size());
    for (const auto& [k, v] : file.metadata) {
      if (!detail::is_utf8(k) || !detail::is_utf8(v)) {
        throw Error("safetensors: metadata " + detail::quoted(k) + " is not valid UTF-8");
      }
      metadata.emplace_back(k, v);
    }
    entries.emplace_back("__metadata__", std::move(metadata));
  }
  const std::vector<std::string> order = safetensors_data_order(file);
  std::uint64_t offset = 0;
  for (const auto& name : order) {
    const RawTensor& t = file.tensors.at(name);
    if (name.empty() || name == "__metadata__" || !detail::is_utf8(name)) {
      throw Error("safetensors: invalid tensor name " + detail::quoted(name));
    }
    const auto count = detail::checked_product(t.shape);
    if (!count || *count * dtype_size(t.dtype) != t.data.size()) {
      throw Error("safetensors: tensor " + detail::quoted(name) + " has " +
                  std::to_string(t.data.size()) + " bytes, which does not match its shape x " +
                  std::string(dtype_name(t.dtype)));
    }
    Json::object_t entry;
    entry.emplace_back("dtype", std::string(dtype_name(t.dtype)));
    entry.emplace_back("shape", t.shape);
    entry.emplace_back("data_offsets", Json::array({offset, offset + t.data.size()}));
    entries.emplace_back(name, std::move(entry));
    offset += t.data.size();
  }
  // dump()'s defaults are serde_json's compact form: no spaces, `"` `\` and control characters
  // escaped (\b \f \n \r \t, else lowercase \u00xx), everything else verbatim.
  std::string header = Json(std::move(entries)).dump();
  header.append((8 - header.size() % 8) % 8, ' ');

  std::vector<std::byte> out;
  out.reserve(8 + header.size() + offset);
  const std::uint64_t n = header.size();
  const auto* np = reinterpret_cast<const std::byte*>(&n);
  out.insert(out.end(), np, np + 8);
  const auto* hp = reinterpret_cast<const std::byte*>(header.data());
  out.insert(out.end(), hp, hp + header.size());
  for (const auto& name : order) {
    const auto& d = file.tensors.at(name).data;
    out.insert(out.end(), d.begin(), d.end());
  }
  return out;
}

/// Writes a safetensors file atomically (temporary file, fsync, rename), byte-identical to the
/// official library's output for the same tensors and metadata.
/// @param path the destination; its directory must exist.
/// @param file tensors and metadata.
/// @post on failure the previous file at `path`, if any, is unchanged.
/// @throws dae::Error naming the path or the tensor on failure.
inline void write_safetensors(const std::filesystem::path& path, const SafetensorsFile& file) {
  std::vector<std::byte> bytes;
  try {
    bytes = serialize_safetensors(file);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  write_file_atomic(path, bytes);
}

}  // namespace dae::io
