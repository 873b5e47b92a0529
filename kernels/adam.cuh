// Adam on the GPU with PyTorch's semantics, exactly as dae::Adam (include/dae/optim/adam.hpp):
// the bias corrections are computed on the host in double, the element update in float in
// PyTorch's order of operations. On the device every operation is an explicitly rounded
// intrinsic (__fmul_rn, __fadd_rn, ...), so nvcc cannot contract them into fused multiply-adds
// and the update is the CPU's, operation for operation. All parameters of a model are updated by
// one launch (a "multi-tensor" list passed by value), and `zero_grad` is one launch as well.
#pragma once

#include "common.cuh"

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
#if defined(__CUDA_ARCH__)
  m = __fadd_rn(__fmul_rn(m, s.beta1), __fmul_rn(g, s.one_minus_beta1));
  v = __fadd_rn(__fmul_rn(v, s.beta2), __fmul_rn(__fmul_rn(s.one_minus_beta2, g), g));
  const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(v), s.bias_correction2_sqrt), s.eps);
  p = __fadd_rn(p, __fmul_rn(-s.step_size, __fdiv_rn(m, denom)));
#else
  m = m * s.beta1 + g * s.one_minus_beta1;
  v = v * s.beta2 + s.one_minus_beta2 * g * g;
  const float denom = std::sqrt(v) / s.bias_correction2_sqrt + s.eps;
  p += -s.step_size * (m / denom);
#endif
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

#if defined(__CUDACC__)

/// blockIdx.y selects the tensor; the blocks along x stride over its elements.
__global__ void __launch_bounds__(kThreads) adam_step_kernel(TensorList list, AdamStep step) {
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

__global__ void __launch_bounds__(kThreads) zero_grad_kernel(TensorList list) {
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
  adam_step_kernel<<<dim3(tensor_list_blocks(list), static_cast<unsigned>(list.count)), kThreads, 0, stream>>>(list,
                                                                                                        step);
  DAE_CUDA_CHECK_LAUNCH("adam_step_kernel", stream);
}

/// Sets every gradient in `list` to zero.
inline void zero_grad(const TensorList& list, cudaStream_t stream) {
  if (list.count == 0) return;
  zero_grad_kernel<<<dim3(tensor_list_blocks(list), static_cast<unsigned>(list.count)), kThreads, 0, stream>>>(list);
  DAE_CUDA_CHECK_LAUNCH("zero_grad_kernel", stream);
}

#endif  // __CUDACC__

}  // namespace dae::kernels
