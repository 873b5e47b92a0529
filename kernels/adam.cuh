// Adam on the GPU with PyTorch's semantics, exactly as dae::Adam (include/dae/optim/adam.hpp):
// the bias corrections are computed on the host in double, the element update in float in
// PyTorch's order of operations. Every operation is explicitly rounded (dae/rounding.hpp), here
// and in the CPU's Adam, so no compiler contracts them into fused multiply-adds and the update is
// the CPU's bit for bit, operation for operation. All parameters of a model are updated by
// one launch (a "multi-tensor" list passed by value), and `zero_grad` is one launch as well.
#pragma once

#include "common.cuh"
#include "dae/rounding.hpp"

namespace dae::kernels {

/// The per-step scalars of Adam (host-computed, as the CPU does).
struct AdamStep {
  float beta1, beta2, one_minus_beta1, one_minus_beta2;
  float step_size;              ///< lr / (1 - beta1^t)
  float bias_correction2_sqrt;  ///< sqrt(1 - beta2^t)
  float eps;
};

/// One element: updates m, v and p in place from g.
DAE_HOST_DEVICE inline void adam_update_element(float& p, float g, float& m, float& v, const AdamStep& s) {
  m = add_rn(mul_rn(m, s.beta1), mul_rn(g, s.one_minus_beta1));
  v = add_rn(mul_rn(v, s.beta2), mul_rn(mul_rn(s.one_minus_beta2, g), g));
  const float denom = add_rn(div_rn(sqrt_rn(v), s.bias_correction2_sqrt), s.eps);
  p = add_rn(p, mul_rn(-s.step_size, div_rn(m, denom)));
}

/// Up to kMaxTensors tensors, passed to a kernel by value.
struct TensorList {
  static constexpr int kMaxTensors = 40;
  float* value[kMaxTensors];
  float* grad[kMaxTensors];
  float* exp_avg[kMaxTensors];
  float* exp_avg_sq[kMaxTensors];
  long long size[kMaxTensors];
  int count = 0;
};

#if defined(DAE_CUDA_KERNELS)

/// blockIdx.y selects the tensor; the blocks along x stride over its elements.
static __global__ void __launch_bounds__(kThreads) adam_step_kernel(TensorList list, AdamStep step) {
  const int t = blockIdx.y;
  float* p = list.value[t];
  const float* g = list.grad[t];
  float* m = list.exp_avg[t];
  float* v = list.exp_avg_sq[t];
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < list.size[t];
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    float pi = p[i], mi = m[i], vi = v[i];
    adam_update_element(pi, g[i], mi, vi, step);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
}

static __global__ void __launch_bounds__(kThreads) zero_grad_kernel(TensorList list) {
  const int t = blockIdx.y;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < list.size[t];
       i += static_cast<long long>(gridDim.x) * blockDim.x)
    list.grad[t][i] = 0.0f;
}

inline unsigned tensor_list_blocks(const TensorList& list) {
  long long largest = 1;
  for (int t = 0; t < list.count; ++t) largest = list.size[t] > largest ? list.size[t] : largest;
  return static_cast<unsigned>(ceil_div<long long>(largest, kThreads) < 64 ? ceil_div<long long>(largest, kThreads)
                                                                           : 64);
}

/// One Adam update of every tensor in `list`.
inline void adam_step(const TensorList& list, const AdamStep& step, cudaStream_t stream) {
  if (list.count == 0) return;
  cuda_backend::launch(
      "adam_step_kernel", adam_step_kernel,
      {dim3(tensor_list_blocks(list), static_cast<unsigned>(list.count)), kThreads, stream}, list,
      step);
}

/// Sets every gradient in `list` to zero.
inline void zero_grad(const TensorList& list, cudaStream_t stream) {
  if (list.count == 0) return;
  cuda_backend::launch(
      "zero_grad_kernel", zero_grad_kernel,
      {dim3(tensor_list_blocks(list), static_cast<unsigned>(list.count)), kThreads, stream}, list);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
