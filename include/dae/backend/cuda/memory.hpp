// Device memory, streams and events for the CUDA backend, as move-only RAII types, plus the
// backend's notion of the *current stream*: every layer, tensor copy and launcher of dae::cuda
// runs on `current_stream()` unless given a stream explicitly, and `StreamScope` changes it for a
// block (as PyTorch's current stream). The default is cudaStreamPerThread, so two host threads
// never serialise on the legacy default stream. These are host-side types: they need the CUDA
// runtime, not nvcc.
#pragma once

#include "dae/backend/cuda/runtime.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "dae/backend/cuda/check.hpp"

namespace dae::cuda_backend {

/// An owning device allocation of `size()` elements of T (uninitialised). Move-only.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { reserve(count); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { release(); }

  /// Makes room for at least `count` elements; old contents are lost when it reallocates.
  void reserve(std::size_t count) {
    if (count <= size_) return;
    release();
    void* pointer = nullptr;
    DAE_CUDA_CHECK(cudaMalloc(&pointer, count * sizeof(T)));
    data_ = static_cast<T*>(pointer);
    size_ = count;
  }
  [[nodiscard]] T* data() { return data_; }
  [[nodiscard]] const T* data() const { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  void release() noexcept {
    if (data_ != nullptr) cudaFree(data_);  // no throw from a destructor; a failure here is moot
    data_ = nullptr;
    size_ = 0;
  }
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// An owning non-blocking CUDA stream.
class Stream {
 public:
  Stream() { DAE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }
  [[nodiscard]] cudaStream_t get() const { return stream_; }
  void synchronize() const { DAE_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

/// An owning CUDA event with timing, for benchmarks (`elapsed_ms(start, stop)`).
class Event {
 public:
  Event() { DAE_CUDA_CHECK(cudaEventCreate(&event_)); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (event_ != nullptr) cudaEventDestroy(event_);
  }
  void record(cudaStream_t stream) { DAE_CUDA_CHECK(cudaEventRecord(event_, stream)); }
  void synchronize() const { DAE_CUDA_CHECK(cudaEventSynchronize(event_)); }
  [[nodiscard]] cudaEvent_t get() const { return event_; }
  /// Milliseconds between two recorded events. @pre both completed
  static float elapsed_ms(const Event& start, const Event& stop) {
    float ms = 0;
    DAE_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, stop.event_));
    return ms;
  }

 private:
  cudaEvent_t event_ = nullptr;
};

namespace detail {
inline cudaStream_t& current_stream_slot() {
  thread_local cudaStream_t stream = cudaStreamPerThread;
  return stream;
}
}  // namespace detail

/// The stream dae::cuda work of this host thread is issued on (cudaStreamPerThread by default).
inline cudaStream_t current_stream() { return detail::current_stream_slot(); }

/// Makes `stream` the current stream for the lifetime of the scope, then restores the previous one.
class StreamScope {
 public:
  explicit StreamScope(cudaStream_t stream) : previous_(std::exchange(detail::current_stream_slot(), stream)) {}
  StreamScope(const StreamScope&) = delete;
  StreamScope& operator=(const StreamScope&) = delete;
  ~StreamScope() { detail::current_stream_slot() = previous_; }

 private:
  cudaStream_t previous_;
};

/// Why no CUDA device can be used here, or nothing when one can (device 0 is then usable).
inline std::optional<std::string> device_unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear it
    return std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(status) + " (" +
           cudaGetErrorString(status) + ")";
  }
  if (count == 0) return std::string("no CUDA device");
  return std::nullopt;
}

/// Multiprocessors of the current device (cached per thread), for sizing grid-stride launches.
inline int multiprocessor_count() {
  thread_local int count = 0;
  if (count == 0) {
    int device = 0;
    DAE_CUDA_CHECK(cudaGetDevice(&device));
    DAE_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
  }
  return count;
}

/// Copies `count` elements host -> device on `stream` (asynchronous w.r.t. the host only for
/// pinned memory; pageable sources are staged by the driver before the call returns).
template <class T>
void copy_to_device(T* device, const T* host, std::size_t count, cudaStream_t stream = current_stream()) {
  if (count == 0) return;
  DAE_CUDA_CHECK(cudaMemcpyAsync(device, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
}

/// Copies `count` elements device -> host on `stream` and waits for them.
template <class T>
void copy_to_host(T* host, const T* device, std::size_t count, cudaStream_t stream = current_stream()) {
  if (count == 0) return;
  DAE_CUDA_CHECK(cudaMemcpyAsync(host, device, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
  DAE_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace dae::cuda_backend
