// Device copies of a layer's state. A CUDA layer keeps the host `Parameter`/`Buffer` members of
// its CPU twin (same names, same PyTorch layouts), so checkpoints, optimisers' state names and
// user code see the same thing on both backends; the device copy is the one the kernels use and
// is authoritative. `to_host()` refreshes the host mirror (values and gradients), `to_device()`
// uploads the host values. A layer's `visit_state` does both around an ordinary visitor, so a
// checkpoint visitor reads current values and anything it assigns reaches the device. A visitor
// that wants the device storage itself (the CUDA optimiser) provides `device_parameter` and
// `device_buffer`, and the layers hand it those instead, with no copies.
#pragma once

#include <concepts>
#include <cstddef>
#include <string>

#include "dae/backend/cuda/memory.hpp"
#include "dae/parameter.hpp"

namespace dae::cuda_backend {

/// A parameter's value and gradient on the device, in the host Parameter's layout.
struct DeviceParameter {
  DeviceBuffer<float> value;
  DeviceBuffer<float> grad;
  std::size_t size = 0;

  void allocate(std::size_t count) {
    value.reserve(count);
    grad.reserve(count);
    size = count;
    DAE_CUDA_CHECK(cudaMemsetAsync(grad.data(), 0, count * sizeof(float), current_stream()));
  }
};

/// Uploads the host values (not the gradient) of `host` into `device`.
inline void upload(const Parameter<float>& host, DeviceParameter& device) {
  copy_to_device(device.value.data(), host.value.data(), device.size);
}
/// Downloads value and gradient into the host mirror (waits for the current stream).
inline void download(Parameter<float>& host, const DeviceParameter& device) {
  copy_to_host(host.value.data(), device.value.data(), device.size);
  copy_to_host(host.grad.data(), device.grad.data(), device.size);
}
inline void upload(const Buffer<float>& host, DeviceBuffer<float>& device) {
  copy_to_device(device.data(), host.value.data(), static_cast<std::size_t>(host.value.size()));
}
inline void download(Buffer<float>& host, const DeviceBuffer<float>& device) {
  copy_to_host(host.value.data(), device.data(), static_cast<std::size_t>(host.value.size()));
}

/// A state visitor that takes device storage (see the file comment).
template <class V>
concept DeviceStateVisitor = requires(V& v, const std::string& name, Parameter<float>& p, DeviceParameter& d,
                                      Buffer<float>& b, DeviceBuffer<float>& db) {
  v.device_parameter(name, p, d);
  v.device_buffer(name, b, db);
};

}  // namespace dae::cuda_backend
