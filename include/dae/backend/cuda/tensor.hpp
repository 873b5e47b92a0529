// Tensor<S, dae::cuda>: a batch of samples of compile-time shape S in device memory, batch-major
// exactly as the CPU tensor (sample n occupies S::size contiguous floats, CHW order), so a CPU
// tensor's data() and a CUDA tensor's data() hold the same bytes after upload/download. The
// allocation only grows: resizing to a smaller batch (the last partial batch of an epoch) keeps it.
// Host <-> device copies run on the backend's current stream (memory.hpp).
#pragma once

#include <Eigen/Core>

#include <cstddef>

#include "dae/backend/cuda/memory.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// A device batch: data() points to batch() * S::size floats on the current CUDA device.
/// @tparam S  the sample shape (dae::Shape)
template <class S>
class Tensor<S, cuda> {
  static_assert(is_shape<S>::value, "dae::Tensor: the first parameter must be a dae::Shape");

 public:
  using shape = S;
  using scalar = float;
  using HostTensor = Tensor<S, cpu>;

  Tensor() = default;
  explicit Tensor(Eigen::Index batch) { resize(batch); }
  /// A device copy of `host` (uploaded on the current stream).
  explicit Tensor(const HostTensor& host) { upload(host); }

  /// Sets the batch size, growing the allocation if needed; contents are unspecified afterwards
  /// unless the size was equal.
  void resize(Eigen::Index batch) {
    buffer_.reserve(static_cast<std::size_t>(batch) * S::size);
    batch_ = batch;
  }
  [[nodiscard]] Eigen::Index batch() const { return batch_; }
  /// Number of floats in the batch.
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(batch_) * S::size; }

  float* data() { return buffer_.data(); }
  const float* data() const { return buffer_.data(); }
  float* sample(Eigen::Index n) { return buffer_.data() + n * S::size; }
  const float* sample(Eigen::Index n) const { return buffer_.data() + n * S::size; }

  /// Fills with NaN (all bits set) on the current stream: tests poison outputs so an element a
  /// kernel forgot to write cannot hide.
  void poison() {
    if (size() != 0)
      DAE_CUDA_CHECK(cudaMemsetAsync(data(), 0xFF, size() * sizeof(float), cuda_backend::current_stream()));
  }

  /// Resizes to host.batch() and copies the host batch in, on the current stream.
  void upload(const HostTensor& host) {
    resize(host.batch());
    cuda_backend::copy_to_device(data(), host.data(), size());
  }
  /// Resizes `host` to batch() and copies the batch out; waits for the current stream.
  void download(HostTensor& host) const {
    host.resize(batch_);
    cuda_backend::copy_to_host(host.data(), data(), size());
  }
  /// A host copy (waits for the current stream).
  [[nodiscard]] HostTensor to_host() const {
    HostTensor host;
    download(host);
    return host;
  }

 private:
  cuda_backend::DeviceBuffer<float> buffer_;
  Eigen::Index batch_ = 0;
};

/// A host tensor's device copy (the current stream).
template <class S>
Tensor<S, cuda> to_device(const Tensor<S, cpu>& host) {
  return Tensor<S, cuda>(host);
}

/// A device tensor's host copy (waits for the current stream).
template <class S>
Tensor<S, cpu> to_host(const Tensor<S, cuda>& device) {
  return device.to_host();
}

}  // namespace dae
