// Labels<Classes, dae::cuda>: a batch's class labels in device memory, with the members of the
// CPU Labels (dae/labels.hpp). They are checked on the host before the upload, so the kernels
// never see one out of range. The allocation only grows, as a device tensor's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dae/backend/cuda/memory.hpp"
#include "dae/labels.hpp"

namespace dae {

template <int Classes>
class Labels<Classes, cuda> {
  static_assert(Classes > 1, "dae::Labels: a classifier needs at least two classes");

 public:
  static constexpr int classes = Classes;

  Labels() = default;
  /// @throws dae::Error when a label is outside [0, Classes)
  explicit Labels(std::span<const std::int32_t> host) { assign(host); }

  /// Checks and uploads the labels on the current stream. @throws dae::Error as the constructor
  void assign(std::span<const std::int32_t> host) {
    detail::check_labels<Classes>(host);
    labels_.reserve(host.size());
    cuda_backend::copy_to_device(labels_.data(), host.data(), host.size());
    size_ = static_cast<std::ptrdiff_t>(host.size());
  }
  [[nodiscard]] std::ptrdiff_t size() const { return size_; }
  [[nodiscard]] const std::int32_t* data() const { return labels_.data(); }

 private:
  cuda_backend::DeviceBuffer<std::int32_t> labels_;
  std::ptrdiff_t size_ = 0;
};

}  // namespace dae
