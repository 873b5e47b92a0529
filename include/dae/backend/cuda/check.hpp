// Error checking for the CUDA backend. Every CUDA runtime call in dae goes through DAE_CUDA_CHECK,
// and every kernel launch through cuda_backend::launch (launch.hpp), which calls check_launch:
// a failure becomes a dae::Error whose one line names the call or the kernel, the CUDA error and
// the source location. With
// DAE_CUDA_SYNC_CHECKS defined, each launch is also followed by a synchronisation of its stream, so
// an asynchronous fault (an illegal address, say) is reported against the kernel that caused it
// rather than against some later call; tests and compute-sanitizer runs use that.
#pragma once

#include "dae/backend/cuda/runtime.hpp"

#include <string>

#include "dae/error.hpp"

namespace dae::cuda_detail {

/// Throws the dae::Error for a failed CUDA call `what` (the call's text or a kernel's name).
[[noreturn]] inline void throw_cuda_error(cudaError_t status, const std::string& what, const char* file,
                                          int line) {
  throw Error("CUDA: " + what + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) +
              ") at " + file + ":" + std::to_string(line));
}

/// Checks the launch just made of kernel `name` on `stream` (see the file comment).
inline void check_launch(const char* name, cudaStream_t stream, const char* file, int line) {
  cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw_cuda_error(status, std::string("launch of ") + name, file, line);
#if defined(DAE_CUDA_SYNC_CHECKS)
  status = cudaStreamSynchronize(stream);
  if (status != cudaSuccess) throw_cuda_error(status, std::string("kernel ") + name, file, line);
#else
  (void)stream;
#endif
}

}  // namespace dae::cuda_detail

/// Evaluates a CUDA runtime call; throws dae::Error naming the call if it did not succeed.
#define DAE_CUDA_CHECK(call)                                                              \
  do {                                                                                    \
    const cudaError_t dae_cuda_status_ = (call);                                          \
    if (dae_cuda_status_ != cudaSuccess)                                                  \
      ::dae::cuda_detail::throw_cuda_error(dae_cuda_status_, #call, __FILE__, __LINE__);  \
  } while (0)
