// The images of a dataset where the backend's ops read them, and the batches of the denoising task
// made from them: on the CPU the data::ImageSet itself (uint8 stays uint8), gathered into float
// and made noisy with data::add_noise for each batch. The CUDA version, with the same names and
// signatures, uploads the set once (backend/cuda/data.cuh). Training code written against this
// runs unchanged on both backends.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dae/backend.hpp"
#include "dae/data/images.hpp"
#include "dae/data/noise.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// The parameters of the input noise: clamp(x + stddev * N(0,1), 0, 1), keyed by (seed, stream,
/// dataset index, pixel); `stream` is usually the epoch's.
struct NoiseSpec {
  float stddev = 0.3f;
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
};

template <class S, class Backend>
class ResidentImages;

/// On the CPU: the set in host memory (not copied: it must outlive this).
template <class S, class Scalar>
class ResidentImages<S, cpu_t<Scalar>> {
 public:
  explicit ResidentImages(const data::ImageSet& images) : images_(&images) {}

  /// The dataset indices that batch() counts from (an epoch's order, a validation split).
  void set_order(std::span<const std::int64_t> ids) { order_.assign(ids.begin(), ids.end()); }

  /// clean = the images order[first, first + count), noisy = their noisy versions.
  void batch(std::int64_t first, std::int64_t count, const NoiseSpec& noise, Tensor<S, cpu_t<Scalar>>& clean,
             Tensor<S, cpu_t<Scalar>>& noisy) const {
    const auto ids = std::span<const std::int64_t>(order_).subspan(static_cast<std::size_t>(first),
                                                                   static_cast<std::size_t>(count));
    clean.resize(count);
    noisy.resize(count);
    images_->gather_float(ids, std::span<float>(clean.data(), static_cast<std::size_t>(count) * S::size));
    data::add_noise(clean.data(), noisy.data(), ids, S::size, noise.stddev, noise.seed, noise.stream);
  }

 private:
  const data::ImageSet* images_;
  std::vector<std::int64_t> order_;
};

}  // namespace dae
