// A dataset that lives on the GPU, and the batches of the denoising task built from it there.
// `DeviceImageSet` uploads a data::ImageSet once (uint8 stays uint8: 47 MB for MNIST's training
// set); `batch` gathers the images with the given indices into a float batch, and `add_noise`
// makes the noisy input, clamp(x + stddev * N(0,1), 0, 1), from dae's counter-based generator
// keyed by (seed, stream, dataset index, pixel) -- kernels/noise.cuh -- which is the contract of
// the CPU's dae::data::add_noise (data/noise.hpp), so both backends see the same noisy images.
// `ResidentImages<S, cuda>` puts the two together behind the names and signatures of the CPU
// version (backend/cpu/data.hpp), so training code is the same on both backends. Nothing here
// waits for the device.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dae/backend/cuda/memory.hpp"
#include "dae/backend/cpu/data.hpp"
#include "dae/backend/cuda/tensor.hpp"
#include "dae/data/images.hpp"
#include "dae/error.hpp"
#include "kernels/noise.cuh"

namespace dae::cuda_backend {


/// An image set resident on the device.
/// @tparam S  the image shape (Shape<1, 28, 28> for MNIST)
template <class S>
class DeviceImageSet {
 public:
  DeviceImageSet() = default;
  /// Uploads `images` (uint8 or float) on the current stream.
  /// @throws dae::Error when an image is not S::size pixels
  explicit DeviceImageSet(const data::ImageSet& images) { upload(images); }

  void upload(const data::ImageSet& images) {
    if (images.pixels_per_image() != static_cast<std::size_t>(S::size))
      throw Error(images.source() + ": images of " + std::to_string(images.pixels_per_image()) +
                  " pixels, expected " + std::to_string(S::size));
    count_ = images.size();
    is_float_ = images.is_float();
    if (is_float_) {
      f32_.reserve(images.f32().size());
      copy_to_device(f32_.data(), images.f32().data(), images.f32().size());
    } else {
      u8_.reserve(images.u8().size());
      copy_to_device(u8_.data(), images.u8().data(), images.u8().size());
    }
  }

  [[nodiscard]] std::int64_t size() const { return count_; }

  /// out = the images at `device_ids` (device memory, `count` indices) as float [0, 1].
  void batch(const std::int32_t* device_ids, std::int64_t count, Tensor<S, cuda>& out) const {
    out.resize(count);
    if (is_float_) kernels::gather_images_forward<S::size>(f32_.data(), device_ids, out.data(), count, current_stream());
    else kernels::gather_images_forward<S::size>(u8_.data(), device_ids, out.data(), count, current_stream());
  }

 private:
  DeviceBuffer<std::uint8_t> u8_;
  DeviceBuffer<float> f32_;
  std::int64_t count_ = 0;
  bool is_float_ = false;
};

/// noisy = clamp(clean + noise, 0, 1), the noise of image n keyed by device_ids[n] (or, when
/// device_ids is null, first_id + n) -- see kernels/noise.cuh.
template <class S>
void add_noise(const Tensor<S, cuda>& clean, Tensor<S, cuda>& noisy, const NoiseSpec& spec,
               const std::int32_t* device_ids = nullptr, std::uint64_t first_id = 0) {
  noisy.resize(clean.batch());
  kernels::noise_forward<S::size>(clean.data(), noisy.data(), clean.batch(), device_ids, first_id, spec.stddev,
                                  spec.seed, spec.stream, current_stream());
}

}  // namespace dae::cuda_backend

namespace dae {

/// On CUDA: the set uploaded once; an order is uploaded once per set_order (an epoch), and each
/// batch is gathered and made noisy on the device, with no host copy.
template <class S>
class ResidentImages<S, cuda> {
 public:
  explicit ResidentImages(const data::ImageSet& images) : images_(images) {}

  void set_order(std::span<const std::int64_t> ids) {
    std::vector<std::int32_t> narrow(ids.begin(), ids.end());
    order_.reserve(narrow.size());
    cuda_backend::copy_to_device(order_.data(), narrow.data(), narrow.size());
  }

  void batch(std::int64_t first, std::int64_t count, const NoiseSpec& noise, Tensor<S, cuda>& clean,
             Tensor<S, cuda>& noisy) const {
    const std::int32_t* ids = order_.data() + first;
    images_.batch(ids, count, clean);
    cuda_backend::add_noise(clean, noisy, noise, ids);
  }

 private:
  cuda_backend::DeviceImageSet<S> images_;
  cuda_backend::DeviceBuffer<std::int32_t> order_;
};

}  // namespace dae
