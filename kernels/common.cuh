// What every kernel file shares: the launch-size helpers, the activation that kernels fuse into
// their epilogues, a deterministic block reduction, and the error checks (DAE_CUDA_CHECK).
//
// Kernel files are written in two layers. The arithmetic of one output element (one thread's
// work) is a `DAE_HOST_DEVICE` function that takes its coordinates as arguments; it compiles with
// any C++20 compiler, so the CPU tests run it over every index and compare it with the Eigen
// backend without a GPU. The `__global__` kernels and their host launchers
// (`#if defined(DAE_CUDA_KERNELS)`) map threads to those coordinates, stage data in shared memory
// and reduce; nvcc compiles them, and so does the host compiler in a DAE_CUDA_EMULATION build (a
// testing tool that runs them on the CPU: include/dae/backend/cuda/emulation/device.hpp). Every
// launch goes through cuda_backend::launch and every shared variable through DAE_SHARED
// (backend/cuda/launch.hpp). A kernel that is not a template is `static`: with external linkage,
// every .cu file of a program that includes it would define it again (a link error).
// Conventions, as in the layers: input gradients are written (=), parameter gradients added to
// (+=). No kernel in dae uses atomics: every reduction is a fixed tree or a fixed-order sum of
// per-block partials, so results are bit-reproducible run to run on one device.
#pragma once

#include <cmath>
#include <cstdint>

#include "dae/activation.hpp"
#include "dae/host_device.hpp"
#include "dae/rng.hpp"

#if defined(__CUDACC__) || defined(DAE_CUDA_EMULATION)
#include <algorithm>

#include "dae/backend/cuda/launch.hpp"  // defines DAE_CUDA_KERNELS
#include "dae/backend/cuda/memory.hpp"
#endif

namespace dae::kernels {

/// ceil(a / b) for positive b.
template <class T>
DAE_HOST_DEVICE constexpr T ceil_div(T a, T b) {
  return (a + b - 1) / b;
}

/// Threads per block of the element-wise and direct-convolution kernels.
inline constexpr int kThreads = 256;

/// The activation a kernel applies in its epilogue (forward) or whose derivative it applies.
using dae::Activation;

/// Logistic function, stable for large |x| (exp only of -|x|), as dae::Sigmoid on the CPU.
DAE_HOST_DEVICE inline float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + ::expf(-x));
  const float e = ::expf(x);
  return e / (1.0f + e);
}

/// Applies `Act` to a pre-activation value.
template <Activation Act>
DAE_HOST_DEVICE inline float activate(float x) {
  if constexpr (Act == Activation::relu) return x > 0.0f ? x : 0.0f;
  else if constexpr (Act == Activation::sigmoid) return sigmoid(x);
  else return x;
}

/// Samples per block when a batch reduction is cut into at most `max_blocks` blocks: the split
/// depends on the batch only (never on the device), so the summation order is fixed.
DAE_HOST_DEVICE constexpr long long samples_per_block(long long batch, long long max_blocks) {
  return batch <= 0 ? 1 : ceil_div(batch, max_blocks);
}

#if defined(DAE_CUDA_KERNELS)

/// Blocks for a grid-stride kernel over `total` items: enough to fill the device a few times
/// over, never more than the items need. Results never depend on it (each item is one thread's).
inline int grid_size(long long total, int threads = kThreads) {
  const long long wanted = ceil_div<long long>(std::max<long long>(total, 1), threads);
  const long long cap = 8LL * cuda_backend::multiprocessor_count();
  return static_cast<int>(std::min(wanted, cap));
}

/// Sum of `value` over the block (all Threads threads must call it), by a fixed tree: warp
/// shuffles, then the warp sums in order. Returns the total in every thread.
/// @tparam Threads  block size, a multiple of 32 and at most 1024
template <int Threads, class T>
__device__ inline T block_sum(T value, T* scratch /* Threads / 32 elements of shared memory */) {
  static_assert(Threads % 32 == 0 && Threads <= 1024, "block_sum: Threads must be a multiple of 32, <= 1024");
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_down_sync(0xFFFFFFFFu, value, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = value;
  __syncthreads();
  T total = 0;
  for (int w = 0; w < Threads / 32; ++w) total += scratch[w];
  return total;
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
