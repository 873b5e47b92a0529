// BatchNorm2d on the GPU with PyTorch's semantics, matching dae::BatchNorm2d on the CPU: in
// training, normalise with the batch statistics (biased variance) and update the running
// statistics with momentum 0.1 (unbiased variance); in evaluation, normalise with the running
// statistics. Statistics and coefficients are computed in double, as on the CPU.
//
// Training forward is three launches: per (chunk of samples, channel) blocks compute the count,
// mean and sum of squared deviations of their chunk (two passes over data that is in L2); one
// thread per channel merges the chunks in order (Chan et al.'s pairwise update) and updates the
// running statistics; an element-wise pass normalises (ReLU fused when it follows). Backward
// mirrors that: per-chunk sums of dy and dy*xhat, an in-order merge that adds the parameter
// gradients, an element-wise pass for dx. Reductions are fixed trees and in-order merges: no
// atomics, deterministic. `saved` holds (mean, rstd) per channel of the last forward, in double.
#pragma once

#include "common.cuh"
#include "dae/rounding.hpp"

namespace dae::kernels {

inline constexpr double kBatchNormEps = 1e-5;
inline constexpr double kBatchNormMomentum = 0.1;
/// Sample chunks per channel in the statistics passes (a function of nothing: fixed order).
inline constexpr long long kBatchNormChunks = 32;

/// Count, mean and sum of squared deviations (M2) of a set of values.
struct Moments {
  double count;
  double mean;
  double m2;
};

/// The moments of the union of two disjoint sets (Chan, Golub & LeVeque's pairwise update).
DAE_HOST_DEVICE inline Moments merge_moments(Moments a, Moments b) {
  if (b.count == 0) return a;
  if (a.count == 0) return b;
  const double count = a.count + b.count;
  const double delta = b.mean - a.mean;
  return {count, a.mean + delta * (b.count / count), a.m2 + b.m2 + delta * delta * (a.count * b.count / count)};
}

/// double a * b + c rounded twice (no fused multiply-add), as the CPU computes it.
DAE_HOST_DEVICE inline double mul_add_unfused(double a, double b, double c) {
  return add_rn(mul_rn(a, b), c);
}

/// One normalised element: float(x * scale + shift), scale = rstd * gamma, shift = beta - mean * scale.
DAE_HOST_DEVICE inline float batch_norm_apply(float x, double scale, double shift) {
  return static_cast<float>(mul_add_unfused(static_cast<double>(x), scale, shift));
}

/// One element of dx: gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)); the means are 0 in
/// evaluation mode, where the statistics are constants.
DAE_HOST_DEVICE inline float batch_norm_backward_element(float dy, float x, double mean, double rstd, double scale,
                                                         double mean_dy, double mean_dy_xhat) {
  const double xhat = (x - mean) * rstd;
  return static_cast<float>(scale * (dy - mean_dy - xhat * mean_dy_xhat));
}

#if defined(DAE_CUDA_KERNELS)

/// Forward stage 1: moments of chunk blockIdx.x of channel blockIdx.y.
template <int Channels, int Plane>
__global__ void __launch_bounds__(kThreads)
    batch_norm2d_forward_partials_kernel(const float* __restrict__ x,  // (N,C,H,W)
                                         long long batch, long long per_chunk,
                                         double* __restrict__ partials) {  // (chunks, C, 3)
  DAE_SHARED(double[kThreads / 32], scratch);
  const int c = blockIdx.y;
  const long long first = blockIdx.x * per_chunk;
  const long long last = first + per_chunk < batch ? first + per_chunk : batch;
  const long long count = (last - first) * Plane;
  auto at = [&](long long e) { return x[((first + e / Plane) * Channels + c) * Plane + e % Plane]; };
  double sum = 0.0;
  for (long long e = threadIdx.x; e < count; e += kThreads) sum += at(e);
  const double mean = block_sum<kThreads>(sum, scratch) / static_cast<double>(count);
  double squares = 0.0;
  for (long long e = threadIdx.x; e < count; e += kThreads) {
    const double d = at(e) - mean;
    squares += d * d;
  }
  const double m2 = block_sum<kThreads>(squares, scratch);
  if (threadIdx.x == 0) {
    double* out = partials + (blockIdx.x * static_cast<long long>(Channels) + c) * 3;
    out[0] = static_cast<double>(count);
    out[1] = mean;
    out[2] = m2;
  }
}

/// Forward stage 2: one thread per channel merges the chunks in order, saves (mean, rstd) and
/// updates the running statistics.
template <int Channels>
__global__ void batch_norm2d_forward_finalize_kernel(const double* __restrict__ partials,  // (chunks, C, 3)
                                                     long long chunks,
                                                     double* __restrict__ saved,          // (C, 2)
                                                     float* __restrict__ running_mean,    // (C)
                                                     float* __restrict__ running_var) {   // (C)
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= Channels) return;
  Moments total{0.0, 0.0, 0.0};
  for (long long k = 0; k < chunks; ++k) {
    const double* p = partials + (k * Channels + c) * 3;
    total = merge_moments(total, Moments{p[0], p[1], p[2]});
  }
  const double variance = total.m2 / total.count;
  saved[2 * c] = total.mean;
  saved[2 * c + 1] = 1.0 / sqrt(variance + kBatchNormEps);
  running_mean[c] = static_cast<float>((1 - kBatchNormMomentum) * running_mean[c] + kBatchNormMomentum * total.mean);
  running_var[c] = static_cast<float>((1 - kBatchNormMomentum) * running_var[c] +
                                      kBatchNormMomentum * total.m2 / (total.count - 1));
}

/// Evaluation: (mean, rstd) from the running statistics, saved for a backward pass.
template <int Channels>
__global__ void batch_norm2d_eval_finalize_kernel(const float* __restrict__ running_mean,
                                                  const float* __restrict__ running_var,
                                                  double* __restrict__ saved) {  // (C, 2)
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= Channels) return;
  saved[2 * c] = running_mean[c];
  saved[2 * c + 1] = 1.0 / sqrt(static_cast<double>(running_var[c]) + kBatchNormEps);
}

/// Forward stage 3 (training and evaluation): y = act(x * scale + shift) per channel.
template <int Channels, int Plane, Activation Act>
__global__ void __launch_bounds__(kThreads)
    batch_norm2d_forward_kernel(const float* __restrict__ x,       // (N,C,H,W)
                                const double* __restrict__ saved,  // (C, 2)
                                const float* __restrict__ gamma,   // (C)
                                const float* __restrict__ beta,    // (C)
                                float* __restrict__ y,             // (N,C,H,W)
                                long long batch) {
  DAE_SHARED(double[Channels], scale);
  DAE_SHARED(double[Channels], shift);
  for (int c = threadIdx.x; c < Channels; c += blockDim.x) {
    scale[c] = saved[2 * c + 1] * gamma[c];
    shift[c] = beta[c] - saved[2 * c] * scale[c];
  }
  __syncthreads();
  const long long total = batch * Channels * Plane;
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<long long>(gridDim.x) * blockDim.x) {
    const int c = static_cast<int>((idx / Plane) % Channels);
    y[idx] = activate<Act>(batch_norm_apply(x[idx], scale[c], shift[c]));
  }
}

/// Backward stage 1: sums of dy and dy * xhat over chunk blockIdx.x of channel blockIdx.y.
template <int Channels, int Plane>
__global__ void __launch_bounds__(kThreads)
    batch_norm2d_backward_partials_kernel(const float* __restrict__ x,       // (N,C,H,W)
                                          const float* __restrict__ dy,      // (N,C,H,W)
                                          const double* __restrict__ saved,  // (C, 2)
                                          long long batch, long long per_chunk,
                                          double* __restrict__ partials) {   // (chunks, C, 2)
  DAE_SHARED(double[kThreads / 32], scratch);
  const int c = blockIdx.y;
  const double mean = saved[2 * c], rstd = saved[2 * c + 1];
  const long long first = blockIdx.x * per_chunk;
  const long long last = first + per_chunk < batch ? first + per_chunk : batch;
  const long long count = (last - first) * Plane;
  double sum_dy = 0.0, sum_dy_xhat = 0.0;
  for (long long e = threadIdx.x; e < count; e += kThreads) {
    const long long idx = ((first + e / Plane) * Channels + c) * Plane + e % Plane;
    const double g = dy[idx];
    sum_dy += g;
    sum_dy_xhat += g * (x[idx] - mean) * rstd;
  }
  sum_dy = block_sum<kThreads>(sum_dy, scratch);
  sum_dy_xhat = block_sum<kThreads>(sum_dy_xhat, scratch);
  if (threadIdx.x == 0) {
    double* out = partials + (blockIdx.x * static_cast<long long>(Channels) + c) * 2;
    out[0] = sum_dy;
    out[1] = sum_dy_xhat;
  }
}

/// Backward stage 2: one thread per channel adds the chunks in order, adds dgamma and dbeta, and
/// writes the coefficients of dx: (scale, mean_dy, mean_dy_xhat).
template <int Channels>
__global__ void batch_norm2d_backward_finalize_kernel(const double* __restrict__ partials,  // (chunks, C, 2)
                                                      long long chunks, double count, bool training,
                                                      const double* __restrict__ saved,   // (C, 2)
                                                      const float* __restrict__ gamma,    // (C)
                                                      float* __restrict__ dgamma,         // (C)
                                                      float* __restrict__ dbeta,          // (C)
                                                      double* __restrict__ coefficients) {  // (C, 3)
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= Channels) return;
  double sum_dy = 0.0, sum_dy_xhat = 0.0;
  for (long long k = 0; k < chunks; ++k) {
    sum_dy += partials[(k * Channels + c) * 2];
    sum_dy_xhat += partials[(k * Channels + c) * 2 + 1];
  }
  dgamma[c] += static_cast<float>(sum_dy_xhat);
  dbeta[c] += static_cast<float>(sum_dy);
  coefficients[3 * c] = gamma[c] * saved[2 * c + 1];
  coefficients[3 * c + 1] = training ? sum_dy / count : 0.0;
  coefficients[3 * c + 2] = training ? sum_dy_xhat / count : 0.0;
}

/// Backward stage 3: dx element-wise.
template <int Channels, int Plane>
__global__ void __launch_bounds__(kThreads)
    batch_norm2d_backward_kernel(const float* __restrict__ x,               // (N,C,H,W)
                                 const float* __restrict__ dy,              // (N,C,H,W)
                                 const double* __restrict__ saved,          // (C, 2)
                                 const double* __restrict__ coefficients,   // (C, 3)
                                 float* __restrict__ dx,                    // (N,C,H,W)
                                 long long batch) {
  DAE_SHARED(double[Channels * 5], k);
  for (int c = threadIdx.x; c < Channels; c += blockDim.x) {
    k[5 * c] = saved[2 * c];
    k[5 * c + 1] = saved[2 * c + 1];
    k[5 * c + 2] = coefficients[3 * c];
    k[5 * c + 3] = coefficients[3 * c + 1];
    k[5 * c + 4] = coefficients[3 * c + 2];
  }
  __syncthreads();
  const long long total = batch * Channels * Plane;
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<long long>(gridDim.x) * blockDim.x) {
    const double* kc = k + 5 * ((idx / Plane) % Channels);
    dx[idx] = batch_norm_backward_element(dy[idx], x[idx], kc[0], kc[1], kc[2], kc[3], kc[4]);
  }
}

/// Device workspace of the BatchNorm launchers, in doubles: partials of the statistics passes.
template <int Channels>
constexpr long long batch_norm2d_workspace() {
  return kBatchNormChunks * Channels * 3;
}

/// Training forward: batch statistics into `saved`, running statistics updated, y = act(BN(x)).
/// @pre batch * Plane > 1 (checked by the layer, which throws dae::Error as the CPU layer does)
template <int Channels, int Plane, Activation Act = Activation::none>
void batch_norm2d_forward(const float* x, const float* gamma, const float* beta, float* running_mean,
                          float* running_var, double* saved, float* y, long long batch, double* workspace,
                          cudaStream_t stream) {
  if (batch == 0) return;
  const long long per_chunk = samples_per_block(batch, kBatchNormChunks);
  const long long chunks = ceil_div(batch, per_chunk);
  cuda_backend::launch("batch_norm2d_forward_partials_kernel",
                       batch_norm2d_forward_partials_kernel<Channels, Plane>,
                       {dim3(static_cast<unsigned>(chunks), Channels), kThreads, stream}, x, batch,
                       per_chunk, workspace);
  cuda_backend::launch("batch_norm2d_forward_finalize_kernel",
                       batch_norm2d_forward_finalize_kernel<Channels>,
                       {1, 32 * ceil_div(Channels, 32), stream}, workspace, chunks, saved,
                       running_mean, running_var);
  cuda_backend::launch(
      "batch_norm2d_forward_kernel", batch_norm2d_forward_kernel<Channels, Plane, Act>,
      {grid_size(batch * Channels * Plane), kThreads, stream}, x, saved, gamma, beta, y, batch);
}

/// Evaluation forward: y = act(BN(x)) with the running statistics (saved for backward).
template <int Channels, int Plane, Activation Act = Activation::none>
void batch_norm2d_eval_forward(const float* x, const float* gamma, const float* beta, const float* running_mean,
                               const float* running_var, double* saved, float* y, long long batch,
                               cudaStream_t stream) {
  if (batch == 0) return;
  cuda_backend::launch("batch_norm2d_eval_finalize_kernel",
                       batch_norm2d_eval_finalize_kernel<Channels>,
                       {1, 32 * ceil_div(Channels, 32), stream}, running_mean, running_var, saved);
  cuda_backend::launch(
      "batch_norm2d_forward_kernel", batch_norm2d_forward_kernel<Channels, Plane, Act>,
      {grid_size(batch * Channels * Plane), kThreads, stream}, x, saved, gamma, beta, y, batch);
}

/// Backward with the statistics of the last forward: dgamma, dbeta added to; dx written.
/// `coefficients` holds 3 * Channels doubles.
template <int Channels, int Plane>
void batch_norm2d_backward(const float* x, const float* dy, const double* saved, const float* gamma,
                           float* dgamma, float* dbeta, float* dx, long long batch, bool training,
                           double* workspace, double* coefficients, cudaStream_t stream) {
  if (batch == 0) return;
  const long long per_chunk = samples_per_block(batch, kBatchNormChunks);
  const long long chunks = ceil_div(batch, per_chunk);
  cuda_backend::launch("batch_norm2d_backward_partials_kernel",
                       batch_norm2d_backward_partials_kernel<Channels, Plane>,
                       {dim3(static_cast<unsigned>(chunks), Channels), kThreads, stream}, x, dy,
                       saved, batch, per_chunk, workspace);
  cuda_backend::launch(
      "batch_norm2d_backward_finalize_kernel", batch_norm2d_backward_finalize_kernel<Channels>,
      {1, 32 * ceil_div(Channels, 32), stream}, workspace, chunks,
      static_cast<double>(batch) * Plane, training, saved, gamma, dgamma, dbeta, coefficients);
  if (dx == nullptr) return;
  cuda_backend::launch("batch_norm2d_backward_kernel",
                       batch_norm2d_backward_kernel<Channels, Plane>,
                       {grid_size(batch * Channels * Plane), kThreads, stream}, x, dy, saved,
                       coefficients, dx, batch);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
