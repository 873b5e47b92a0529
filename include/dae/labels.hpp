// Class labels of a batch, for a classifier's loss: Labels<Classes, Backend> holds one int32 class
// index per sample in the backend's memory (its scratch storage: host memory on the CPU, device
// memory on dae::cuda). The class count is part of the type, so a loss over 10 logits cannot be
// handed labels of another task; every label is checked against it once, on the host, when the
// labels are set, so the ops (and kernels) never see one out of range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dae/backend.hpp"
#include "dae/backend/cpu/state.hpp"
#include "dae/error.hpp"

namespace dae {

namespace detail {
/// @throws dae::Error naming the first label outside [0, Classes).
template <int Classes>
void check_labels(std::span<const std::int32_t> labels) {
  for (std::size_t n = 0; n < labels.size(); ++n) {
    if (labels[n] < 0 || labels[n] >= Classes)
      throw Error("labels: sample " + std::to_string(n) + " has label " + std::to_string(labels[n]) +
                  ", outside [0, " + std::to_string(Classes) + ")");
  }
}
}  // namespace detail

/// The labels of a batch in the backend's memory.
/// @tparam Classes  the class count: every label is in [0, Classes)
/// @tparam Backend  dae::cpu (any CPU scalar type) or dae::cuda
template <int Classes, class Backend = cpu>
class Labels {
  static_assert(Classes > 1, "dae::Labels: a classifier needs at least two classes");

 public:
  static constexpr int classes = Classes;

  Labels() = default;
  /// @throws dae::Error when a label is outside [0, Classes)
  explicit Labels(std::span<const std::int32_t> host) { assign(host); }

  /// Checks the labels and replaces these with them (the storage is reused; on CUDA the upload
  /// runs on the current stream). @throws dae::Error as the constructor
  void assign(std::span<const std::int32_t> host) {
    detail::check_labels<Classes>(host);
    assign_from_host(labels_, host);
    size_ = static_cast<std::ptrdiff_t>(host.size());
  }
  [[nodiscard]] std::ptrdiff_t size() const { return size_; }
  [[nodiscard]] const std::int32_t* data() const { return labels_.data(); }

 private:
  scratch_t<Backend, std::int32_t> labels_;  // may hold more than size() after a larger batch
  std::ptrdiff_t size_ = 0;
};

}  // namespace dae
