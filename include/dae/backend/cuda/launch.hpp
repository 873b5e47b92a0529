// The one way dae launches a kernel, and the one way a kernel declares shared memory, so that
// nvcc and the host emulation (DAE_CUDA_EMULATION) compile the same source:
//
//   launch("conv2d_forward_kernel", conv2d_forward_kernel<G, Act>, {grid, block, stream}, x, w, b, y, n);
//   DAE_SHARED(float[G::weight_size], w);   // __shared__ float w[G::weight_size];
//
// launch() is <<<grid, block, 0, stream>>> followed by the launch check under the kernel's
// name (and, in the emulation, the run itself). DAE_SHARED is a declaration rather than a
// storage class so that the emulation can give every block a fresh, poisoned, bounds-checked
// instance of each shared variable (emulation/device.hpp).
#pragma once

#include <source_location>
#include <type_traits>
#include <utility>

#include "dae/backend/cuda/check.hpp"
#include "dae/backend/cuda/runtime.hpp"

#if defined(DAE_CUDA_EMULATION)
#define DAE_SHARED(Type, name)                                                     \
  static ::dae::emulation::SharedVariable<::std::type_identity_t<Type>> name##_dae_shared; \
  ::std::type_identity_t<Type>& name = name##_dae_shared.get()
#else
#define DAE_SHARED(Type, name) __shared__ ::std::type_identity_t<Type> name
#endif

namespace dae::cuda_backend {

/// Where and how a kernel runs; `where` is the launching line, for the error message. Grid and
/// block are a dim3 or a count (of any integer type: the launchers compute them in int or long long).
struct LaunchShape {
  dim3 grid;
  dim3 block;
  cudaStream_t stream;
  std::source_location where;
  template <class Grid, class Block>
  LaunchShape(Grid g, Block b, cudaStream_t s, std::source_location w = std::source_location::current())
      : grid(extent(g)), block(extent(b)), stream(s), where(w) {}

 private:
  static dim3 extent(dim3 d) { return d; }
  template <class Integer>
    requires std::is_integral_v<Integer>
  static dim3 extent(Integer count) {
    return dim3(static_cast<unsigned>(count));
  }
};

#if defined(DAE_CUDA_KERNELS)
/// Launches `kernel` (named `name` in errors) with `args` and checks the launch.
template <class... Params, class... Args>
void launch(const char* name, void (*kernel)(Params...), const LaunchShape& shape, Args&&... args) {
#if defined(DAE_CUDA_EMULATION)
  ::dae::emulation::launch(name, kernel, shape.grid, shape.block, shape.stream, std::forward<Args>(args)...);
#else
  kernel<<<shape.grid, shape.block, 0, shape.stream>>>(std::forward<Args>(args)...);
#endif
  cuda_detail::check_launch(name, shape.stream, shape.where.file_name(), static_cast<int>(shape.where.line()));
}
#endif

}  // namespace dae::cuda_backend
