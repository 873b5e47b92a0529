// Class labels of a batch, for a classifier's loss: Labels<Classes, Backend> holds one int32 class
// index per sample in the backend's memory (host memory here; device memory for dae::cuda, in
// backend/cuda/labels.hpp, with the same members). The class count is part of the type, so a
// loss over 10 logits cannot be handed labels of another task; every label is checked against it
// once, on the host, when the labels are set, so the ops (and kernels) never see one out of range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dae/backend.hpp"
#include "dae/error.hpp"

namespace dae {

template <int Classes, class Backend = cpu>
class Labels;

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

/// Labels in host memory (every CPU scalar type).
template <int Classes, class Scalar>
class Labels<Classes, cpu_t<Scalar>> {
  static_assert(Classes > 1, "dae::Labels: a classifier needs at least two classes");

 public:
  static constexpr int classes = Classes;

  Labels() = default;
  /// @throws dae::Error when a label is outside [0, Classes)
  explicit Labels(std::span<const std::int32_t> host) { assign(host); }

  /// Replaces the labels (the storage is reused). @throws dae::Error as the constructor
  void assign(std::span<const std::int32_t> host) {
    detail::check_labels<Classes>(host);
    labels_.assign(host.begin(), host.end());
  }
  [[nodiscard]] std::ptrdiff_t size() const { return static_cast<std::ptrdiff_t>(labels_.size()); }
  [[nodiscard]] const std::int32_t* data() const { return labels_.data(); }

 private:
  std::vector<std::int32_t> labels_;
};

}  // namespace dae
