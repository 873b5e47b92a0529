// Backend tags. Layers, tensors and the model take a backend as a template parameter and never
// look further at it than choosing the implementation; the backends themselves live under
// backend/cpu (Eigen) and backend/cuda (our kernels, compiled by nvcc only).
#pragma once

#include <type_traits>

namespace dae {

/// The Eigen CPU backend with scalar type `Scalar`. `cpu` (float) is what models use; the
/// gradient checks instantiate the same layers with `cpu_t<double>`.
template <class Scalar>
struct cpu_t {
  using scalar = Scalar;
};
using cpu = cpu_t<float>;

/// The CUDA backend (float). Only usable in translation units compiled by nvcc.
struct cuda {
  using scalar = float;
};

template <class Backend>
struct is_cpu_backend : std::false_type {};
template <class Scalar>
struct is_cpu_backend<cpu_t<Scalar>> : std::true_type {};
template <class Backend>
inline constexpr bool is_cpu_backend_v = is_cpu_backend<Backend>::value;

}  // namespace dae
