// IDX: the file format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//
// Layout: a 4-byte magic {0, 0, type, ndim}, ndim big-endian u32 extents, then the data. dae only
// needs type 0x08 (unsigned byte): labels are 0x00000801 ([N]) and images 0x00000803 ([N,H,W]).
// The reader is strict, because a silently misread data set is the most expensive bug there is:
// magic and type byte checked, extents' product checked for overflow, and the data must fill the
// file exactly (for .gz: the decompressed stream, so no trailing bytes there either). Compressed
// input is recognised by its gzip magic (1f 8b), not by the name, and decompressed in memory with
// zlib's inflate; gzip errors and truncated streams are reported. Files come from anywhere, so the
// inflate is streamed and bounded by the IDX header it decompresses first: it stops one byte past
// the size that header declares, and its buffer grows with the bytes actually produced, so a small
// gzip bomb costs what its header claims at most, never what the stream would inflate to. Data stay
// uint8 in memory; the conversion to float happens per batch (see images.hpp).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "dae/error.hpp"
#include "dae/io/atomic_file.hpp"

namespace dae::data {

/// A decoded IDX file of unsigned bytes.
struct IdxArray {
  std::vector<std::int64_t> dims;  ///< extents, outermost first
  std::vector<std::uint8_t> data;  ///< product(dims) bytes, C order
};

/// The largest decompressed size accepted from a .gz IDX file (a sanity bound on what a header may
/// declare; the inflate itself stops at the declared size).
inline constexpr std::uint64_t kMaxIdxBytes = std::uint64_t{1} << 33;  // 8 GiB

namespace detail {

inline bool is_gzip(std::span<const std::byte> bytes) {
  return bytes.size() >= 2 && bytes[0] == std::byte{0x1f} && bytes[1] == std::byte{0x8b};
}

inline std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

/// Returned by idx_declared_size for a header that is already wrong.
inline constexpr std::uint64_t kBadIdxHeader = UINT64_MAX;

/// How many bytes in all an IDX file must have, judged from its first `prefix.size()` bytes: 0
/// while the header is incomplete; kBadIdxHeader when the magic is already wrong (parse_idx
/// reports it); header + product(extents) otherwise, capped at kMaxIdxBytes + 1 so that an
/// oversized claim is reported as such.
inline std::uint64_t idx_declared_size(std::span<const std::uint8_t> prefix) {
  if (prefix.size() < 4) return 0;
  if (prefix[0] != 0 || prefix[1] != 0 || prefix[2] != 0x08 || prefix[3] == 0) return kBadIdxHeader;
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(prefix[3]);
  if (prefix.size() < header) return 0;
  std::uint64_t data = 1;
  for (std::size_t d = 0; d < prefix[3]; ++d) {
    const std::uint8_t* p = prefix.data() + 4 + 4 * d;
    const std::uint64_t v = (std::uint64_t{p[0]} << 24) | (std::uint64_t{p[1]} << 16) |
                            (std::uint64_t{p[2]} << 8) | p[3];
    if (v == 0) return header;
    if (data > kMaxIdxBytes / v) return kMaxIdxBytes + 1;
    data *= v;
  }
  return std::min<std::uint64_t>(header + data, kMaxIdxBytes + 1);
}

/// Inflates one or more concatenated gzip members holding one IDX file, producing at most one byte
/// more than the IDX header (the first decompressed bytes) declares: a gzip bomb is stopped after
/// the size its own header claims, and memory grows with the bytes actually decompressed, never
/// with what a header claims.
inline std::vector<std::uint8_t> gunzip_idx(std::span<const std::byte> in, const std::string& source) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw Error(source + ": zlib initialisation failed");
  // Until the header is complete only its largest size (255 extents) may be decompressed.
  constexpr std::uint64_t kMaxHeader = 4 + 4 * 255;
  std::uint64_t declared = 0;  // 0: header not complete yet
  std::vector<std::uint8_t> out;
  std::size_t consumed = 0, produced = 0;
  auto fail = [&](const std::string& what) {
    inflateEnd(&z);
    throw Error(source + ": " + what);
  };
  for (;;) {
    if (z.avail_in == 0 && consumed < in.size()) {
      const std::size_t chunk = std::min<std::size_t>(in.size() - consumed, 1u << 30);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + consumed));
      z.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    if (declared == 0) {
      declared = idx_declared_size(std::span<const std::uint8_t>(out.data(), produced));
      if (declared == kBadIdxHeader) break;
      if (declared > kMaxIdxBytes) {
        fail("IDX header declares more than " + std::to_string(kMaxIdxBytes) +
             " bytes of data, the limit for a .gz file");
      }
      if (declared != 0 && produced > declared) {
        fail("IDX file too long: trailing bytes after the " + std::to_string(declared) +
             " bytes its header declares (decompressed)");
      }
    }
    // One byte beyond the declared size, so that a longer stream is caught, not cut.
    const std::uint64_t limit = (declared ? declared : kMaxHeader) + 1;
    if (produced == limit) {
      fail("IDX file too long: trailing bytes after the " + std::to_string(limit - 1) +
           " bytes its header declares (decompressed)");
    }
    if (produced == out.size()) {
      const std::size_t grown = std::max<std::size_t>(out.size() * 2, 1 << 16);
      out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(grown, limit)));
    }
    z.next_out = out.data() + produced;
    z.avail_out = static_cast<uInt>(std::min<std::uint64_t>(
        {out.size() - produced, limit - produced, std::uint64_t{1} << 30}));
    const uInt before = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced += before - z.avail_out;
    if (rc == Z_STREAM_END) {
      const std::size_t left = z.avail_in + (in.size() - consumed);
      if (left == 0) break;
      // Another gzip member may follow (gzip allows concatenation); anything else is garbage.
      const std::size_t at = in.size() - left;
      if (!is_gzip(in.subspan(at))) {
        fail("gzip: " + std::to_string(left) + " bytes of garbage after the compressed stream");
      }
      if (inflateReset(&z) != Z_OK) fail("gzip: zlib reset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && consumed == in.size()) {
      fail("gzip stream is truncated (unexpected end of file)");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      fail(std::string("gzip data are corrupt (") + (z.msg ? z.msg : "zlib error") + ")");
    }
  }
  inflateEnd(&z);
  out.resize(produced);
  return out;
}

}  // namespace detail

/// Parses IDX bytes (already decompressed) of unsigned-byte type.
/// @param bytes the file contents.
/// @param source name for error messages (normally the path).
/// @return extents and data.
/// @throws dae::Error "source: ..." for an empty or truncated file, a bad magic, a type byte other
///         than 0x08, zero dimensions, an extent product that overflows, or a size that differs
///         from the extents (truncated or trailing bytes).
inline IdxArray parse_idx(std::span<const std::uint8_t> bytes, const std::string& source) {
  auto fail = [&](const std::string& what) { throw Error(source + ": " + what); };
  if (bytes.empty()) fail("empty file, not an IDX file");
  if (bytes.size() < 4) fail("truncated IDX magic (" + std::to_string(bytes.size()) + " bytes)");
  const std::uint32_t magic = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                              (std::uint32_t{bytes[2]} << 8) | bytes[3];
  if (bytes[0] != 0 || bytes[1] != 0) {
    fail("bad IDX magic " + detail::hex32(magic) + " (expected 0x000008NN)");
  }
  if (bytes[2] != 0x08) {
    fail("IDX magic " + detail::hex32(magic) + ": type byte 0x" + detail::hex32(bytes[2]).substr(8) +
         " is not 0x08 (unsigned byte), the only type supported");
  }
  const int ndim = bytes[3];
  if (ndim == 0) fail("IDX magic " + detail::hex32(magic) + ": zero dimensions");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  if (bytes.size() < header) {
    fail("truncated IDX header: " + std::to_string(ndim) + " dimensions need " +
         std::to_string(header) + " bytes, file has " + std::to_string(bytes.size()));
  }
  IdxArray out;
  std::uint64_t total = 1;
  bool overflow = false;
  for (int d = 0; d < ndim; ++d) {
    const std::uint8_t* p = bytes.data() + 4 + 4 * d;
    const std::uint32_t v = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                            (std::uint32_t{p[2]} << 8) | p[3];
    out.dims.push_back(v);
    if (v != 0 && total > (std::uint64_t{1} << 62) / v) overflow = true;
    if (!overflow) total *= v;
  }
  if (overflow) fail("IDX dimensions overflow: their product exceeds 2^62 bytes");
  const std::uint64_t have = bytes.size() - header;
  if (have < total) {
    fail("truncated IDX data: dimensions need " + std::to_string(total) + " bytes, file has " +
         std::to_string(have));
  }
  if (have > total) {
    fail("IDX file too long: " + std::to_string(have - total) + " trailing bytes after " +
         std::to_string(total) + " bytes of data");
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

/// Decodes a whole IDX file held in memory, plain or gzip-compressed (detected by content).
/// @param raw the file's bytes.
/// @param source name for error messages (normally the path).
/// @return extents and data.
/// @throws dae::Error naming the source: gzip error or truncation, or any problem listed for
///         parse_idx.
inline IdxArray decode_idx(std::span<const std::byte> raw, const std::string& source) {
  if (detail::is_gzip(raw)) {
    const std::vector<std::uint8_t> plain = detail::gunzip_idx(raw, source);
    return parse_idx(plain, source + " (decompressed)");
  }
  return parse_idx(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(raw.data()),
                                                 raw.size()),
                   source);
}

/// Encodes an array as a plain IDX file of unsigned bytes (what parse_idx reads back).
/// @param a extents (1 to 255 of them, each below 2^32) and product(extents) bytes.
/// @return the file: magic 0x000008NN, big-endian extents, data.
/// @throws dae::Error when the extents are out of range or do not match the data size.
inline std::vector<std::uint8_t> serialize_idx(const IdxArray& a) {
  if (a.dims.empty() || a.dims.size() > 255) {
    throw Error("IDX: " + std::to_string(a.dims.size()) + " dimensions, expected 1 to 255");
  }
  std::vector<std::uint8_t> out = {0, 0, 0x08, static_cast<std::uint8_t>(a.dims.size())};
  std::uint64_t total = 1;
  for (const std::int64_t d : a.dims) {
    if (d < 0 || d > 0xFFFFFFFFll) throw Error("IDX: extent " + std::to_string(d) + " out of range");
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(d) >> shift));
    }
    const auto u = static_cast<std::uint64_t>(d);
    total = u != 0 && total > kMaxIdxBytes / u ? kMaxIdxBytes + 1 : total * u;
  }
  if (total != a.data.size()) {
    throw Error("IDX: " + std::to_string(a.data.size()) + " data bytes do not match the extents");
  }
  out.insert(out.end(), a.data.begin(), a.data.end());
  return out;
}

/// Reads an IDX file of unsigned bytes, plain or gzip-compressed (detected by content).
/// @param path the file.
/// @return extents and data.
/// @throws dae::Error naming the path: unreadable file, gzip error or truncation, or any
///         problem listed for parse_idx.
inline IdxArray read_idx(const std::filesystem::path& path) {
  return decode_idx(io::read_file_bytes(path), path.string());
}

/// Checks that a decoded IDX array is an image file: magic 0x00000803, extents [N, rows, cols].
/// @param a the decoded file.
/// @param source name for error messages.
/// @throws dae::Error naming the source otherwise (a label file 0x00000801 is named as such).
inline void check_idx_images(const IdxArray& a, const std::string& source) {
  if (a.dims.size() != 3) {
    throw Error(source + ": IDX magic " +
                detail::hex32(0x800u + static_cast<std::uint32_t>(a.dims.size())) +
                (a.dims.size() == 1 ? " is a label file"
                                    : " has " + std::to_string(a.dims.size()) + " dimensions") +
                ", expected images (0x00000803, [N, rows, cols])");
  }
}

/// Checks that a decoded IDX array is a label file: magic 0x00000801, extents [N], every label in
/// 0..max_label.
/// @param a the decoded file.
/// @param source name for error messages.
/// @param max_label the largest valid label (9 for MNIST-style data).
/// @throws dae::Error naming the source otherwise (an image file is named as such; a bad label is
///         named with its index and value).
inline void check_idx_labels(const IdxArray& a, const std::string& source, int max_label = 9) {
  if (a.dims.size() != 1) {
    throw Error(source + ": IDX magic " +
                detail::hex32(0x800u + static_cast<std::uint32_t>(a.dims.size())) +
                (a.dims.size() == 3 ? " is an image file"
                                    : " has " + std::to_string(a.dims.size()) + " dimensions") +
                ", expected labels (0x00000801, [N])");
  }
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    if (a.data[i] > max_label) {
      throw Error(source + ": label " + std::to_string(a.data[i]) + " at index " +
                  std::to_string(i) + " is outside 0.." + std::to_string(max_label));
    }
  }
}

/// Reads an IDX image file: magic 0x00000803, extents [N, rows, cols].
/// @param path the file (plain or .gz).
/// @return extents {N, rows, cols} and N x rows x cols bytes.
/// @throws dae::Error naming the path when the file is not an IDX image file (a label file
///         0x00000801 is named as such) or is malformed.
inline IdxArray read_idx_images(const std::filesystem::path& path) {
  IdxArray a = read_idx(path);
  check_idx_images(a, path.string());
  return a;
}

/// Reads an IDX label file: magic 0x00000801, extents [N], every label in 0..max_label.
/// @param path the file (plain or .gz).
/// @param max_label the largest valid label (9 for MNIST-style data).
/// @return extents {N} and the N labels.
/// @throws dae::Error naming the path when the file is not an IDX label file (an image file is
///         named as such), is malformed, or holds a label above max_label (index and value named).
inline IdxArray read_idx_labels(const std::filesystem::path& path, int max_label = 9) {
  IdxArray a = read_idx(path);
  check_idx_labels(a, path.string(), max_label);
  return a;
}

}  // namespace dae::data
