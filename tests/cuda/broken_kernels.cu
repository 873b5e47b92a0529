// Deliberately broken kernels that the CUDA emulation must reject, one case per run:
//   broken_kernels CASE   prints "rejected: <why>" and exits 0 when the fault showed, and prints
//                         "NOT REJECTED" and exits 1 when the kernel got through unnoticed.
// Faults the emulation catches by itself (a wrong thread order result, a divergent barrier, a
// read of poisoned memory) are reported here; faults AddressSanitizer catches (an index past a
// device or shared array) end the process with its report, which CTest matches instead.
// Emulation only: on a GPU these are compute-sanitizer's job (bench/gpu_check.sh).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "dae/backend/cuda/launch.hpp"
#include "dae/backend/cuda/memory.hpp"

namespace {

constexpr int kThreads = 64;

/// Reverses 64 values through shared memory, without the barrier between the writes and reads.
__global__ void reverse_without_barrier(const float* in, float* out) {
  DAE_SHARED(float[kThreads], staged);
  staged[threadIdx.x] = in[threadIdx.x];
  out[threadIdx.x] = staged[kThreads - 1 - threadIdx.x];
}

/// Grid-stride copy whose loop runs one element too far.
__global__ void copy_off_by_one(const float* in, float* out, int count) {
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i <= count;
       i += static_cast<int>(gridDim.x * blockDim.x))
    out[i] = in[i < count ? i : count - 1];
}

/// Neighbour difference that reads one element past its shared array.
__global__ void shared_read_past_end(const float* in, float* out) {
  DAE_SHARED(float[kThreads], staged);
  staged[threadIdx.x] = in[threadIdx.x];
  __syncthreads();
  out[threadIdx.x] = staged[threadIdx.x + 1] - staged[threadIdx.x];
}

/// Adds a bias nobody uploaded: reads a fresh device allocation.
__global__ void add_unwritten_bias(const float* in, const float* bias, float* out) {
  out[threadIdx.x] = in[threadIdx.x] + bias[threadIdx.x];
}

/// A barrier only half of the block reaches.
__global__ void divergent_barrier(float* out) {
  if (threadIdx.x < kThreads / 2) __syncthreads();
  out[threadIdx.x] = 1.0f;
}

int rejected(const std::string& why) {
  std::printf("rejected: %s\n", why.c_str());
  return 0;
}

/// The launch's error, or empty when it succeeded.
std::string launch_error(const std::function<void()>& launch) {
  try {
    launch();
  } catch (const dae::Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  using dae::cuda_backend::DeviceBuffer;
  namespace cb = dae::cuda_backend;
  if (argc != 2) {
    std::fprintf(stderr, "usage: broken_kernels missing_barrier|off_by_one_tail|shared_overrun|uninitialised_read|divergent_barrier\n");
    return 2;
  }
  const std::string which = argv[1];
  const cudaStream_t stream = cb::current_stream();
  std::vector<float> host(kThreads + 1);
  for (int i = 0; i < kThreads; ++i) host[i] = static_cast<float>(i + 1);
  DeviceBuffer<float> in(kThreads), out(kThreads), unwritten(kThreads);
  cb::copy_to_device(in.data(), host.data(), kThreads);
  std::string error;
  if (which == "missing_barrier") {
    error = launch_error([&] { cb::launch("reverse_without_barrier", reverse_without_barrier, {1, kThreads, stream}, in.data(), out.data()); });
  } else if (which == "off_by_one_tail") {
    error = launch_error([&] { cb::launch("copy_off_by_one", copy_off_by_one, {1, kThreads, stream}, in.data(), out.data(), kThreads); });
  } else if (which == "shared_overrun") {
    error = launch_error([&] { cb::launch("shared_read_past_end", shared_read_past_end, {1, kThreads, stream}, in.data(), out.data()); });
  } else if (which == "uninitialised_read") {
    error = launch_error([&] { cb::launch("add_unwritten_bias", add_unwritten_bias, {1, kThreads, stream}, in.data(), unwritten.data(), out.data()); });
  } else if (which == "divergent_barrier") {
    error = launch_error([&] { cb::launch("divergent_barrier", divergent_barrier, {1, kThreads, stream}, out.data()); });
  } else {
    std::fprintf(stderr, "broken_kernels: unknown case '%s'\n", which.c_str());
    return 2;
  }
  if (!error.empty()) return rejected(error);
  cb::copy_to_host(host.data(), out.data(), kThreads);
  for (int i = 0; i < kThreads; ++i)
    if (!std::isfinite(host[i])) return rejected("output " + std::to_string(i) + " is NaN: it read memory nobody wrote");
  std::printf("NOT REJECTED: %s ran without a fault showing\n", which.c_str());
  return 1;
}
