// Image and label sets as the pipeline consumes them, loaded from IDX (plain or .gz) or .npy.
//
// `load_images` accepts IDX image files and .npy arrays of uint8 (0..255) or float32 (0..1) with
// shape [N,H,W] or [N,1,H,W]; `load_labels` accepts IDX label files and .npy integer arrays [N]
// (u1, i4 or i8). A file named *.npy is read as .npy; any other name is recognised by content
// (NumPy magic, else IDX, plain or gzip). Images keep their stored type — uint8 stays uint8 (47 MB
// for MNIST's training set instead of 188 MB as float) — and `to_float`/`gather_float` convert just
// the images of one batch to float [0,1] into a caller buffer. Float input is validated once at
// load: a NaN or a value outside [0,1] is an error naming the file, image, row and column.
// The size check (28x28 for the reference model) is the caller's: `require_size`.
#pragma once

#include <array>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dae/data/idx.hpp"
#include "dae/error.hpp"
#include "dae/io/atomic_file.hpp"
#include "dae/io/npy.hpp"

namespace dae::data {

/// N images of rows x cols pixels, stored as uint8 (0..255) or float (0..1), batch-major.
class ImageSet {
 public:
  ImageSet() = default;

  /// Wraps uint8 pixels.
  /// @param pixels count x rows x cols bytes.
  /// @param count, rows, cols the extents (>= 0, rows/cols > 0).
  /// @param source where the images came from, for error messages.
  /// @return the set.
  /// @throws dae::Error when the pixel count does not match the extents.
  static ImageSet from_u8(std::vector<std::uint8_t> pixels, std::int64_t count, int rows, int cols,
                          std::string source) {
    ImageSet s(count, rows, cols, std::move(source));
    s.check_count(pixels.size());
    s.u8_ = std::move(pixels);
    return s;
  }

  /// Wraps float pixels, checking each is finite and within [0,1].
  /// @param pixels count x rows x cols floats.
  /// @param count, rows, cols the extents.
  /// @param source where the images came from, for error messages.
  /// @return the set.
  /// @throws dae::Error naming the source, image, row and column of the first NaN or
  ///         out-of-range value, or when the pixel count does not match the extents.
  static ImageSet from_f32(std::vector<float> pixels, std::int64_t count, int rows, int cols,
                           std::string source) {
    ImageSet s(count, rows, cols, std::move(source));
    s.check_count(pixels.size());
    const std::size_t per = s.pixels_per_image();
    for (std::size_t i = 0; i < pixels.size(); ++i) {
      const float v = pixels[i];
      if (!(v >= 0.0f && v <= 1.0f)) {
        const std::size_t img = i / per, off = i % per;
        throw Error(s.source_ + ": image " + std::to_string(img) + " pixel (row " +
                    std::to_string(off / static_cast<std::size_t>(cols)) + ", col " +
                    std::to_string(off % static_cast<std::size_t>(cols)) + ") is " +
                    (std::isnan(v) ? std::string("NaN") : std::to_string(v)) +
                    ", outside [0,1]");
      }
    }
    s.f32_ = std::move(pixels);
    s.is_float_ = true;
    return s;
  }

  /// @return the number of images.
  std::int64_t size() const { return count_; }
  /// @return pixel rows per image.
  int rows() const { return rows_; }
  /// @return pixel columns per image.
  int cols() const { return cols_; }
  /// @return rows x cols.
  std::size_t pixels_per_image() const {
    return static_cast<std::size_t>(rows_) * static_cast<std::size_t>(cols_);
  }
  /// @return true when the pixels are stored as float (from a float32 .npy).
  bool is_float() const { return is_float_; }
  /// @return the file the images came from.
  const std::string& source() const { return source_; }
  /// @return the uint8 pixels (empty when is_float()).
  std::span<const std::uint8_t> u8() const { return u8_; }
  /// @return the float pixels (empty unless is_float()).
  std::span<const float> f32() const { return f32_; }

  /// Requires every image to be rows x cols (e.g. 28x28 for the reference model).
  /// @param rows, cols the size the caller needs.
  /// @throws dae::Error "source: images are HxW, expected rows x cols" otherwise.
  void require_size(int rows, int cols) const {
    if (rows != rows_ || cols != cols_) {
      throw Error(source_ + ": images are " + std::to_string(rows_) + "x" +
                  std::to_string(cols_) + ", expected " + std::to_string(rows) + "x" +
                  std::to_string(cols));
    }
  }

  /// Converts images [first, first + count) to float [0,1] (uint8 / 255.0f, bit-identical to
  /// PyTorch's ToTensor) into `out`.
  /// @param first index of the first image.
  /// @param count number of images.
  /// @param out count x rows x cols floats.
  /// @pre 0 <= first, first + count <= size(), out.size() == count x rows x cols.
  /// @throws dae::Error when the range or the buffer size is wrong.
  void to_float(std::int64_t first, std::int64_t count, std::span<float> out) const {
    if (first < 0 || count < 0 || first + count > count_ ||
        out.size() != static_cast<std::size_t>(count) * pixels_per_image()) {
      throw Error(source_ + ": to_float of images [" + std::to_string(first) + ", " +
                  std::to_string(first + count) + ") into " + std::to_string(out.size()) +
                  " floats is out of range");
    }
    convert(static_cast<std::size_t>(first) * pixels_per_image(), out);
  }

  /// Converts the images at `indices` (in that order) to float [0,1] into `out` — a shuffled
  /// mini-batch.
  /// @param indices image indices, each in [0, size()).
  /// @param out indices.size() x rows x cols floats.
  /// @throws dae::Error when an index is out of range or the buffer size is wrong.
  void gather_float(std::span<const std::int64_t> indices, std::span<float> out) const {
    const std::size_t per = pixels_per_image();
    if (out.size() != indices.size() * per) {
      throw Error(source_ + ": gather_float into a buffer of the wrong size");
    }
    for (std::size_t k = 0; k < indices.size(); ++k) {
      const std::int64_t i = indices[k];
      if (i < 0 || i >= count_) {
        throw Error(source_ + ": image index " + std::to_string(i) + " out of range");
      }
      convert(static_cast<std::size_t>(i) * per, out.subspan(k * per, per));
    }
  }

  /// A new set holding the images at `indices`, in that order (e.g. a train/validation split).
  /// @param indices image indices, each in [0, size()).
  /// @return the subset, same storage type and source.
  /// @throws dae::Error when an index is out of range.
  ImageSet select(std::span<const std::int64_t> indices) const {
    ImageSet s(static_cast<std::int64_t>(indices.size()), rows_, cols_, source_);
    s.is_float_ = is_float_;
    const std::size_t per = pixels_per_image();
    for (const std::int64_t i : indices) {
      if (i < 0 || i >= count_) {
        throw Error(source_ + ": image index " + std::to_string(i) + " out of range");
      }
      const std::size_t at = static_cast<std::size_t>(i) * per;
      if (is_float_) s.f32_.insert(s.f32_.end(), f32_.begin() + at, f32_.begin() + at + per);
      else s.u8_.insert(s.u8_.end(), u8_.begin() + at, u8_.begin() + at + per);
    }
    return s;
  }

 private:
  ImageSet(std::int64_t count, int rows, int cols, std::string source)
      : count_(count), rows_(rows), cols_(cols), source_(std::move(source)) {
    if (count < 0 || rows <= 0 || cols <= 0) {
      throw Error(source_ + ": invalid image set extents " + std::to_string(count) + "x" +
                  std::to_string(rows) + "x" + std::to_string(cols));
    }
  }
  void check_count(std::size_t n) const {
    if (n != static_cast<std::size_t>(count_) * pixels_per_image()) {
      throw Error(source_ + ": " + std::to_string(n) + " pixels for " + std::to_string(count_) +
                  " images of " + std::to_string(rows_) + "x" + std::to_string(cols_));
    }
  }
  void convert(std::size_t at, std::span<float> out) const {
    if (is_float_) {
      std::memcpy(out.data(), f32_.data() + at, out.size_bytes());
    } else {
      // v / 255.0f exactly as PyTorch's ToTensor (a multiply by 1/255 differs in the last bit
      // for some values), through a 256-entry table.
      static const std::array<float, 256> table = [] {
        std::array<float, 256> t{};
        for (int v = 0; v < 256; ++v) t[static_cast<std::size_t>(v)] = static_cast<float>(v) / 255.0f;
        return t;
      }();
      const std::uint8_t* src = u8_.data() + at;
      for (std::size_t j = 0; j < out.size(); ++j) out[j] = table[src[j]];
    }
  }

  std::int64_t count_ = 0;
  int rows_ = 0;
  int cols_ = 0;
  std::string source_;
  bool is_float_ = false;
  std::vector<std::uint8_t> u8_;
  std::vector<float> f32_;
};

/// N class labels.
struct LabelSet {
  std::vector<std::uint8_t> labels;  ///< each in 0..max_label given at load
  std::string source;                ///< the file they came from
  /// @return the number of labels.
  std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
};

namespace detail {

inline bool named_npy(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".npy";
}

inline bool has_npy_magic(std::span<const std::byte> b) {
  static constexpr unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  return b.size() >= 6 && std::memcmp(b.data(), magic, 6) == 0;
}

inline std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace detail

/// Decodes images held in memory: an IDX image file (plain or .gz) or a .npy array (uint8 0..255
/// or float32 0..1, shape [N,H,W] or [N,1,H,W]); what load_images does after reading the file.
/// @param raw the file's bytes.
/// @param src the file's name, for error messages; a name ending in .npy is read as .npy,
///        anything else by content.
/// @return the images, uint8 or float as stored.
/// @throws dae::Error naming `src` and the field, as listed for load_images.
inline ImageSet decode_images(std::span<const std::byte> raw, const std::string& src) {
  if (detail::named_npy(src) || detail::has_npy_magic(raw)) {
    io::RawTensor a = io::parse_npy(raw, src);
    const auto& s = a.shape;
    const bool nhw = s.size() == 3;
    const bool n1hw = s.size() == 4 && s[1] == 1;
    if (!nhw && !n1hw) {
      throw Error(src + ": .npy shape " + detail::shape_string(s) +
                  ", expected images [N, H, W] or [N, 1, H, W]");
    }
    const std::int64_t h = s[s.size() - 2], w = s[s.size() - 1];
    if (h <= 0 || w <= 0 || h > 1 << 16 || w > 1 << 16) {
      throw Error(src + ": .npy shape " + detail::shape_string(s) + " has an empty image size");
    }
    if (a.dtype == io::DType::U8) {
      std::vector<std::uint8_t> px(a.data.size());
      if (!px.empty()) std::memcpy(px.data(), a.data.data(), px.size());
      return ImageSet::from_u8(std::move(px), s[0], static_cast<int>(h), static_cast<int>(w), src);
    }
    if (a.dtype == io::DType::F32) {
      return ImageSet::from_f32(a.values<float>(), s[0], static_cast<int>(h), static_cast<int>(w),
                                src);
    }
    throw Error(src + ": .npy dtype " + std::string(io::npy_descr(a.dtype).value_or("?")) +
                ", expected uint8 (|u1) or float32 (<f4) images");
  }
  IdxArray a = decode_idx(raw, src);
  check_idx_images(a, src);
  if (a.dims[1] == 0 || a.dims[2] == 0 || a.dims[1] > 1 << 16 || a.dims[2] > 1 << 16) {
    throw Error(src + ": IDX image size " + std::to_string(a.dims[1]) + "x" +
                std::to_string(a.dims[2]) + " is invalid");
  }
  return ImageSet::from_u8(std::move(a.data), a.dims[0], static_cast<int>(a.dims[1]),
                           static_cast<int>(a.dims[2]), src);
}

/// Loads images from an IDX image file (plain or .gz) or a .npy array (uint8 0..255 or float32
/// 0..1, shape [N,H,W] or [N,1,H,W]).
/// @param path the file; *.npy is read as .npy, anything else by content.
/// @return the images, uint8 or float as stored.
/// @throws dae::Error naming the path and the field: unreadable, not IDX/.npy, IDX labels given as
///         images, wrong .npy dtype or shape, NaN or out-of-range float pixel (with its index), and
///         every malformation the IDX and .npy readers reject.
inline ImageSet load_images(const std::filesystem::path& path) {
  return decode_images(io::read_file_bytes(path), path.string());
}

/// Decodes labels held in memory: an IDX label file (plain or .gz) or a .npy integer array [N]
/// (u1, i4, i8); what load_labels does after reading the file.
/// @param raw the file's bytes.
/// @param src the file's name, for error messages and LabelSet::source; a name ending in .npy is
///        read as .npy, anything else by content.
/// @param max_label the largest valid label (9 for MNIST-style data).
/// @return the labels.
/// @throws dae::Error naming `src`, as listed for load_labels.
inline LabelSet decode_labels(std::span<const std::byte> raw, const std::string& src,
                              int max_label = 9) {
  LabelSet out;
  out.source = src;
  if (detail::named_npy(src) || detail::has_npy_magic(raw)) {
    const io::RawTensor a = io::parse_npy(raw, src);
    if (a.shape.size() != 1) {
      throw Error(src + ": .npy shape " + detail::shape_string(a.shape) +
                  ", expected labels [N]");
    }
    std::vector<std::int64_t> v;
    switch (a.dtype) {
      case io::DType::U8:
        for (auto x : a.values<std::uint8_t>()) v.push_back(x);
        break;
      case io::DType::I32:
        for (auto x : a.values<std::int32_t>()) v.push_back(x);
        break;
      case io::DType::I64:
        v = a.values<std::int64_t>();
        break;
      default:
        throw Error(src + ": .npy dtype " + std::string(io::npy_descr(a.dtype).value_or("?")) +
                    ", expected integer labels (|u1, <i4 or <i8)");
    }
    out.labels.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] < 0 || v[i] > max_label) {
        throw Error(src + ": label " + std::to_string(v[i]) + " at index " + std::to_string(i) +
                    " is outside 0.." + std::to_string(max_label));
      }
      out.labels[i] = static_cast<std::uint8_t>(v[i]);
    }
    return out;
  }
  IdxArray a = decode_idx(raw, src);
  check_idx_labels(a, src, max_label);
  out.labels = std::move(a.data);
  return out;
}

/// Loads labels from an IDX label file (plain or .gz) or a .npy integer array [N] (u1, i4, i8).
/// @param path the file; *.npy is read as .npy, anything else by content.
/// @param max_label the largest valid label (9 for MNIST-style data).
/// @return the labels.
/// @throws dae::Error naming the path: unreadable, not IDX/.npy, IDX images given as labels, wrong
///         .npy dtype or shape, a label outside 0..max_label (with its index), and every
///         malformation the IDX and .npy readers reject.
inline LabelSet load_labels(const std::filesystem::path& path, int max_label = 9) {
  return decode_labels(io::read_file_bytes(path), path.string(), max_label);
}

/// Requires as many labels as images.
/// @param images an image set.
/// @param labels a label set.
/// @throws dae::Error naming both files and both counts otherwise.
inline void require_same_count(const ImageSet& images, const LabelSet& labels) {
  if (images.size() != labels.size()) {
    throw Error(images.source() + " has " + std::to_string(images.size()) + " images but " +
                labels.source + " has " + std::to_string(labels.size()) + " labels");
  }
}

/// Images with their labels.
struct LabeledImages {
  ImageSet images;
  LabelSet labels;
};

/// Loads images and labels together and checks that the counts agree.
/// @param images_path IDX/.npy images (see load_images).
/// @param labels_path IDX/.npy labels (see load_labels).
/// @param max_label the largest valid label.
/// @return both sets.
/// @throws dae::Error as load_images, load_labels and require_same_count.
inline LabeledImages load_labeled_images(const std::filesystem::path& images_path,
                                         const std::filesystem::path& labels_path,
                                         int max_label = 9) {
  LabeledImages out{load_images(images_path), load_labels(labels_path, max_label)};
  require_same_count(out.images, out.labels);
  return out;
}

}  // namespace dae::data
