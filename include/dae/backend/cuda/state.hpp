// Layer state on the CUDA backend. A parameter is a dae::Parameter (the host mirror: same names,
// same PyTorch layout, what checkpoints and user code read) with a device copy that the kernels
// use and that is authoritative; a buffer likewise. The free functions are the CUDA half of the
// state protocol layers are written against, with the names and signatures of
// backend/cpu/state.hpp: `values`/`grads` give device pointers, `upload_values` publishes host
// writes, and `visit_parameter`/`visit_buffer` give an ordinary visitor fresh host values (and
// upload what it wrote), or give a visitor with `backend_parameter`/`backend_buffer` the device
// storage itself, with no copies.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "dae/backend.hpp"
#include "dae/backend/cuda/memory.hpp"
#include "dae/parameter.hpp"

namespace dae {
namespace cuda_backend {

/// A parameter: host mirror (the base) and its value and gradient on the device.
struct MirroredParameter : Parameter<float> {
  DeviceBuffer<float> device_value, device_grad;

  explicit MirroredParameter(std::vector<std::int64_t> pytorch_shape)
      : Parameter<float>(std::move(pytorch_shape)),
        device_value(static_cast<std::size_t>(value.size())),
        device_grad(static_cast<std::size_t>(value.size())) {
    DAE_CUDA_CHECK(cudaMemsetAsync(device_grad.data(), 0, size() * sizeof(float), current_stream()));
    to_device();
  }
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(value.size()); }
  /// Uploads the host values (not the gradient).
  void to_device() { copy_to_device(device_value.data(), value.data(), size()); }
  /// Downloads value and gradient into the host mirror (waits for the current stream).
  void to_host() {
    copy_to_host(value.data(), device_value.data(), size());
    copy_to_host(grad.data(), device_grad.data(), size());
  }
};

/// A buffer: host mirror (the base) and its device copy.
struct MirroredBuffer : Buffer<float> {
  DeviceBuffer<float> device;

  explicit MirroredBuffer(Buffer<float> host)
      : Buffer<float>(std::move(host)), device(static_cast<std::size_t>(value.size())) {
    to_device();
  }
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(value.size()); }
  void to_device() { copy_to_device(device.data(), value.data(), size()); }
  void to_host() { copy_to_host(value.data(), device.data(), size()); }
};

/// Replaces the contents of a scratch buffer with host values, uploaded on the current stream (the
/// CUDA half of backend/cpu/state.hpp's assign_from_host; in this namespace so that a template
/// defined before this header, as dae::Labels, finds it by argument-dependent lookup).
template <class T>
void assign_from_host(DeviceBuffer<T>& scratch, std::span<const T> host) {
  scratch.reserve(host.size());
  copy_to_device(scratch.data(), host.data(), host.size());
}

}  // namespace cuda_backend

template <>
struct backend_state<cuda> {
  using parameter = cuda_backend::MirroredParameter;
  using buffer = cuda_backend::MirroredBuffer;
  template <class T>
  using scratch = cuda_backend::DeviceBuffer<T>;
};

inline float* values(cuda_backend::MirroredParameter& p) { return p.device_value.data(); }
inline const float* values(const cuda_backend::MirroredParameter& p) { return p.device_value.data(); }
inline float* grads(cuda_backend::MirroredParameter& p) { return p.device_grad.data(); }
inline float* values(cuda_backend::MirroredBuffer& b) { return b.device.data(); }
inline const float* values(const cuda_backend::MirroredBuffer& b) { return b.device.data(); }

inline void upload_values(cuda_backend::MirroredParameter& p) { p.to_device(); }
inline void upload_values(cuda_backend::MirroredBuffer& b) { b.to_device(); }

inline void zero_grad(cuda_backend::MirroredParameter& p) {
  DAE_CUDA_CHECK(cudaMemsetAsync(p.device_grad.data(), 0, p.size() * sizeof(float), cuda_backend::current_stream()));
}

template <class Visitor>
void visit_parameter(Visitor& visitor, const std::string& name, cuda_backend::MirroredParameter& p) {
  if constexpr (requires { visitor.backend_parameter(name, p); }) {
    visitor.backend_parameter(name, p);
  } else {
    p.to_host();
    visitor.parameter(name, static_cast<Parameter<float>&>(p));
    p.to_device();
  }
}
template <class Visitor>
void visit_buffer(Visitor& visitor, const std::string& name, cuda_backend::MirroredBuffer& b) {
  if constexpr (requires { visitor.backend_buffer(name, b); }) {
    visitor.backend_buffer(name, b);
  } else {
    b.to_host();
    visitor.buffer(name, static_cast<Buffer<float>&>(b));
    b.to_device();
  }
}

}  // namespace dae
