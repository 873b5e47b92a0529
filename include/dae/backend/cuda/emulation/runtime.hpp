// The CUDA runtime calls dae's CUDA backend makes, over host memory: a *testing tool* that lets
// the same kernel and backend sources run on a machine without a GPU (CMake option
// DAE_CUDA_EMULATION; see docs/CUDA_EMULATION.md). It is never a fallback for users: a build
// either uses the real runtime (nvcc, <cuda_runtime.h>) or, for tests only, this one.
//
// Everything runs synchronously on the calling host thread, so every stream is trivially in
// order. Device allocations are fresh heap blocks of exactly the requested size filled with 0xFF
// bytes (NaN as float and as double, -1 as an integer), so a kernel that reads memory nobody wrote
// produces NaN (compute-sanitizer's initcheck, in effect), and AddressSanitizer sees every access
// past an allocation's end (memcheck). Allocations are registered, so that a launch can snapshot
// and compare all of device memory (device.hpp runs each launch in two thread orders).
// Errors follow the runtime's conventions: each call returns a cudaError_t, a failed launch is
// reported by the next cudaGetLastError, and cudaGetErrorString gives the emulation's reason.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#if defined(__CUDACC__)
#error "dae/backend/cuda/emulation/runtime.hpp is for host compilers; nvcc uses the real CUDA runtime"
#endif

// ---- Types and constants, named as in the CUDA runtime API -------------------------------------

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount = 16 };

struct dae_emulated_stream {
  int id;
};
using cudaStream_t = dae_emulated_stream*;
struct dae_emulated_event {
  std::chrono::steady_clock::time_point recorded;
  bool was_recorded = false;
};
using cudaEvent_t = dae_emulated_event*;

inline constexpr unsigned cudaStreamNonBlocking = 1;
// cudaStreamPerThread is a special handle value in the real runtime; here any non-null handle.
inline dae_emulated_stream dae_emulated_per_thread_stream{2};
#define cudaStreamPerThread (&dae_emulated_per_thread_stream)

struct cudaDeviceProp {
  char name[256];
  int major;
  int minor;
  int multiProcessorCount;
};

struct uint3 {
  unsigned x, y, z;
};

/// The launch extents, as CUDA's dim3 (unspecified components are 1).
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr operator uint3() const { return {x, y, z}; }
};

namespace dae::emulation {

/// Multiprocessors the emulated device reports: small, so grid-stride loops take several turns.
inline constexpr int kMultiprocessors = 4;

/// Bytes every fresh allocation and every block's shared memory is filled with (see above).
inline constexpr unsigned char kPoisonByte = 0xFF;

/// The emulated device's state: live allocations and the last error of each host thread.
class Runtime {
 public:
  static Runtime& instance() {
    static Runtime runtime;
    return runtime;
  }

  cudaError_t allocate(void** pointer, std::size_t bytes) {
    if (pointer == nullptr) return record(cudaErrorInvalidValue, "cudaMalloc: null result pointer");
    // Exactly `bytes` (at least 1): AddressSanitizer then flags the first byte past the end.
    void* block = std::malloc(bytes == 0 ? 1 : bytes);
    if (block == nullptr) return record(cudaErrorMemoryAllocation, "cudaMalloc: out of host memory");
    std::memset(block, kPoisonByte, bytes == 0 ? 1 : bytes);
    std::lock_guard lock(mutex_);
    allocations_[static_cast<unsigned char*>(block)] = bytes;
    *pointer = block;
    return cudaSuccess;
  }

  cudaError_t free(void* pointer) {
    if (pointer == nullptr) return cudaSuccess;
    {
      std::lock_guard lock(mutex_);
      const auto found = allocations_.find(static_cast<unsigned char*>(pointer));
      if (found == allocations_.end())
        return record(cudaErrorInvalidDevicePointer, "cudaFree: not a device allocation");
      allocations_.erase(found);
    }
    std::free(pointer);
    return cudaSuccess;
  }

  /// Whether [pointer, pointer + bytes) lies inside one live device allocation.
  bool is_device_range(const void* pointer, std::size_t bytes) const {
    std::lock_guard lock(mutex_);
    const auto* p = static_cast<const unsigned char*>(pointer);
    auto after = allocations_.upper_bound(const_cast<unsigned char*>(p));
    if (after == allocations_.begin()) return false;
    const auto& [start, size] = *std::prev(after);
    return p >= start && p + bytes <= start + size;
  }

  /// Bytes of device memory allocated now (for tests of what a computation allocates).
  [[nodiscard]] std::size_t bytes_allocated() const {
    std::lock_guard lock(mutex_);
    std::size_t total = 0;
    for (const auto& [start, size] : allocations_) total += size;
    return total;
  }

  using Snapshot = std::vector<std::pair<unsigned char*, std::vector<unsigned char>>>;

  /// Copies every live allocation into `copy` (for the thread-order check of device.hpp),
  /// reusing its buffers: a launch takes two snapshots, and fresh pages cost more than the copy.
  void snapshot(Snapshot& copy) const {
    std::lock_guard lock(mutex_);
    copy.resize(allocations_.size());
    std::size_t i = 0;
    for (const auto& [start, size] : allocations_) {
      copy[i].first = start;
      copy[i].second.assign(start, start + size);
      ++i;
    }
  }

  cudaError_t record(cudaError_t status, std::string reason) {
    last_error() = status;
    last_reason() = std::move(reason);
    return status;
  }
  static cudaError_t& last_error() {
    thread_local cudaError_t status = cudaSuccess;
    return status;
  }
  static std::string& last_reason() {
    thread_local std::string reason;
    return reason;
  }

 private:
  Runtime() = default;
  mutable std::mutex mutex_;
  std::map<unsigned char*, std::size_t> allocations_;
};

}  // namespace dae::emulation

// ---- The runtime calls -------------------------------------------------------------------------

inline cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
inline cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attribute, int device) {
  if (attribute != cudaDevAttrMultiProcessorCount || device != 0)
    return dae::emulation::Runtime::instance().record(cudaErrorInvalidValue, "cudaDeviceGetAttribute: unsupported");
  *value = dae::emulation::kMultiprocessors;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device) {
  if (device != 0) return dae::emulation::Runtime::instance().record(cudaErrorInvalidValue, "no such device");
  *properties = {};
  std::strncpy(properties->name, "dae CUDA emulation on the host CPU (a testing tool)", sizeof properties->name - 1);
  properties->major = 9;
  properties->minor = 0;
  properties->multiProcessorCount = dae::emulation::kMultiprocessors;
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

inline cudaError_t cudaGetLastError() {
  const cudaError_t status = dae::emulation::Runtime::last_error();
  dae::emulation::Runtime::last_error() = cudaSuccess;
  return status;
}
inline const char* cudaGetErrorName(cudaError_t status) {
  switch (status) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}
/// The reason the emulation recorded for this thread's last failure (the real runtime gives a
/// fixed text per code; the emulation knows more, so it says it).
inline const char* cudaGetErrorString(cudaError_t status) {
  if (status == cudaSuccess) return "no error";
  const std::string& reason = dae::emulation::Runtime::last_reason();
  return reason.empty() ? cudaGetErrorName(status) : reason.c_str();
}

inline cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
  return dae::emulation::Runtime::instance().allocate(pointer, bytes);
}
template <class T>
cudaError_t cudaMalloc(T** pointer, std::size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(pointer), bytes);
}
inline cudaError_t cudaFree(void* pointer) { return dae::emulation::Runtime::instance().free(pointer); }

/// Checks that each side of a copy is device memory exactly when `kind` says so.
inline cudaError_t dae_emulated_check_copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                                           const char* call) {
  auto& runtime = dae::emulation::Runtime::instance();
  const bool dst_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool src_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind == cudaMemcpyDefault || kind == cudaMemcpyHostToHost) return cudaSuccess;
  if (dst_device != runtime.is_device_range(dst, bytes))
    return runtime.record(cudaErrorInvalidValue, std::string(call) + ": the destination is not " +
                                                     (dst_device ? "inside a device allocation" : "host memory"));
  if (src_device != runtime.is_device_range(src, bytes))
    return runtime.record(cudaErrorInvalidValue, std::string(call) + ": the source is not " +
                                                     (src_device ? "inside a device allocation" : "host memory"));
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                                   cudaStream_t = nullptr) {
  if (bytes == 0) return cudaSuccess;
  if (const cudaError_t status = dae_emulated_check_copy(dst, src, bytes, kind, "cudaMemcpyAsync")) return status;
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpyAsync(dst, src, bytes, kind);
}
inline cudaError_t cudaMemsetAsync(void* dst, int value, std::size_t bytes, cudaStream_t = nullptr) {
  if (bytes == 0) return cudaSuccess;
  auto& runtime = dae::emulation::Runtime::instance();
  if (!runtime.is_device_range(dst, bytes))
    return runtime.record(cudaErrorInvalidValue, "cudaMemsetAsync: the range is not inside a device allocation");
  std::memset(dst, value, bytes);
  return cudaSuccess;
}

inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  *stream = new dae_emulated_stream{1};
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (stream != cudaStreamPerThread) delete stream;
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

inline cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = new dae_emulated_event{};
  return cudaSuccess;
}
inline cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
inline cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t = nullptr) {
  event->recorded = std::chrono::steady_clock::now();
  event->was_recorded = true;
  return cudaSuccess;
}
inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
inline cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t stop) {
  if (!start->was_recorded || !stop->was_recorded)
    return dae::emulation::Runtime::instance().record(cudaErrorInvalidResourceHandle,
                                                      "cudaEventElapsedTime: an event was never recorded");
  *ms = std::chrono::duration<float, std::milli>(stop->recorded - start->recorded).count();
  return cudaSuccess;
}
