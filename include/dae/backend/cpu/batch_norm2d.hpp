// BatchNorm2d's ops on the CPU backend, PyTorch's semantics: in training, normalise with the
// batch statistics (biased variance) and update the running statistics with the momentum
// (unbiased variance); in evaluation, normalise with the running statistics. Statistics are
// accumulated in double, as PyTorch's CPU kernel does. Each channel is one task and is summed over
// the batch in sample order, whichever thread runs it; under a data-parallel scope
// (dae/distributed/data_parallel.hpp) over the global batch, sample by sample. The CUDA versions,
// with the same names and signatures, are backend/cuda/batch_norm2d.cuh.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "dae/activation.hpp"
#include "dae/backend.hpp"
#include "dae/backend/cpu/activations.hpp"
#include "dae/backend/cpu/parallel.hpp"

namespace dae {

/// PyTorch's defaults for BatchNorm2d.
inline constexpr double kBatchNormEps = 1e-5;
inline constexpr double kBatchNormMomentum = 0.1;

namespace batch_norm_detail {

/// Writes mean and 1/sqrt(var + eps) into `saved` and moves the running statistics, from the
/// batch mean and the sum of squares taken about the mean rounded to T.
template <class T>
void finish_statistics(double mean, double squares, double count, T& running_mean, T& running_var,
                       double* saved) {
  // The squares were taken about mean_s; correct them to the exact mean.
  const double shift = mean - static_cast<double>(static_cast<T>(mean));
  squares -= count * shift * shift;
  const double variance = std::max(0.0, squares / count);
  saved[0] = mean;
  saved[1] = 1.0 / std::sqrt(variance + kBatchNormEps);
  running_mean =
      static_cast<T>((1 - kBatchNormMomentum) * running_mean + kBatchNormMomentum * mean);
  running_var = static_cast<T>((1 - kBatchNormMomentum) * running_var +
                               kBatchNormMomentum * squares / (count - 1));
}

/// Per channel, the fold in sample order of `per_sample(n, c)` (a double) over the whole batch:
/// computed here for this rank's samples, then gathered from every rank (data_parallel.hpp).
/// Returns C x `values` sums laid out [c * values + v]; per_sample writes `values` doubles.
template <int Channels, int Values, class PerSample>
std::vector<double> global_channel_sums(Eigen::Index batch, PerSample&& per_sample) {
  std::vector<double> local(static_cast<std::size_t>(batch) * Channels * Values);
  detail::parallel_chunks(Channels, 1, [&](Eigen::Index c, Eigen::Index) {
    for (Eigen::Index n = 0; n < batch; ++n) per_sample(n, c, &local[(n * Channels + c) * Values]);
  });
  std::vector<double> storage;
  Eigen::Index rows = batch;
  const double* all =
      detail::batch_rows(local.data(), rows, Channels * Values, /*per_sample=*/true, storage);
  std::vector<double> sums(static_cast<std::size_t>(Channels) * Values, 0.0);
  for (Eigen::Index n = 0; n < rows; ++n)
    for (int i = 0; i < Channels * Values; ++i) sums[i] += all[n * Channels * Values + i];
  return sums;
}

}  // namespace batch_norm_detail

/// y = act(BN(x)) for `batch` samples of S. Writes the statistics used, (C, 2) = mean and
/// 1/sqrt(var + eps), into `saved` for backward; in training also updates the running ones.
/// The workspace is unused on the CPU.
template <class S, class T>
void batch_norm2d_forward(cpu_t<T> backend, const T* x, Eigen::Index batch, const T* weight, const T* bias,
                          T* running_mean, T* running_var, bool training, Activation act, T* y,
                          std::vector<double>& saved, std::vector<double>& /*workspace*/) {
  using Plane = Eigen::Map<const Eigen::Array<T, S::plane, 1>>;
  using MutablePlane = Eigen::Map<Eigen::Array<T, S::plane, 1>>;
  saved.resize(2 * S::channels);
  const double count = static_cast<double>(detail::reduction_count(batch)) * S::plane;
  const bool relu = act == Activation::relu;
  // Data-parallel training: the statistics of the global batch, gathered sample by sample.
  const bool global_statistics = training && distributed::DataParallel::active() != nullptr;
  if (global_statistics) {
    const std::vector<double> sums = batch_norm_detail::global_channel_sums<S::channels, 1>(
        batch, [&](Eigen::Index n, Eigen::Index c, double* out) {
          out[0] = static_cast<double>(Plane(x + n * S::size + c * S::plane).sum());
        });
    const std::vector<double> squares = batch_norm_detail::global_channel_sums<S::channels, 1>(
        batch, [&](Eigen::Index n, Eigen::Index c, double* out) {
          const auto mean_s = static_cast<T>(sums[c] / count);
          out[0] =
              static_cast<double>((Plane(x + n * S::size + c * S::plane) - mean_s).square().sum());
        });
    for (int c = 0; c < S::channels; ++c)
      batch_norm_detail::finish_statistics(sums[c] / count, squares[c], count, running_mean[c],
                                           running_var[c], &saved[2 * c]);
  }
  detail::parallel_chunks(S::channels, 1, [&](Eigen::Index c, Eigen::Index) {
    const T* xc = x + c * S::plane;
    if (training && !global_statistics) {
      double sum = 0;
      for (Eigen::Index n = 0; n < batch; ++n) sum += static_cast<double>(Plane(xc + n * S::size).sum());
      const double mean = sum / count;
      const auto mean_s = static_cast<T>(mean);
      double squares = 0;
      for (Eigen::Index n = 0; n < batch; ++n)
        squares += static_cast<double>((Plane(xc + n * S::size) - mean_s).square().sum());
      batch_norm_detail::finish_statistics(mean, squares, count, running_mean[c], running_var[c],
                                           &saved[2 * c]);
    } else if (!training) {
      saved[2 * c] = running_mean[c];
      saved[2 * c + 1] = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + kBatchNormEps);
    }
    const double mean = saved[2 * c], rstd = saved[2 * c + 1];
    const auto mean_s = static_cast<T>(mean);
    const auto scale = static_cast<T>(rstd * weight[c]);
    const T shift = bias[c];
    for (Eigen::Index n = 0; n < batch; ++n) {
      MutablePlane out(y + n * S::size + c * S::plane);
      if (relu)
        out = ((Plane(xc + n * S::size) - mean_s) * scale + shift).max(T(0));
      else
        out = (Plane(xc + n * S::size) - mean_s) * scale + shift;
    }
  });
  if (act == Activation::sigmoid) activation_forward(backend, act, y, y, batch * S::size);
}

/// Adds dL/dweight and dL/dbias; writes dL/dx when dx is not null (it may be dy), with the
/// statistics `saved` by the last forward. The workspace is unused on the CPU.
template <class S, class T>
void batch_norm2d_backward(cpu_t<T>, const T* x, const T* dy, Eigen::Index batch, const std::vector<double>& saved,
                           const T* weight, bool training, T* dx, T* dweight, T* dbias,
                           std::vector<double>& /*workspace*/) {
  using Plane = Eigen::Map<const Eigen::Array<T, S::plane, 1>>;
  using MutablePlane = Eigen::Map<Eigen::Array<T, S::plane, 1>>;
  const double count = static_cast<double>(detail::reduction_count(batch)) * S::plane;
  // Data-parallel training: sum(dy) and sum(dy (x - mean_s)) over the global batch.
  std::vector<double> global_sums;
  if (distributed::DataParallel::active() != nullptr)
    global_sums = batch_norm_detail::global_channel_sums<S::channels, 2>(
        batch, [&](Eigen::Index n, Eigen::Index c, double* out) {
          const auto mean_s = static_cast<T>(saved[2 * c]);
          const Plane g(dy + n * S::size + c * S::plane);
          out[0] = static_cast<double>(g.sum());
          out[1] =
              static_cast<double>((g * (Plane(x + n * S::size + c * S::plane) - mean_s)).sum());
        });
  detail::parallel_chunks(S::channels, 1, [&](Eigen::Index c, Eigen::Index) {
    const double mean = saved[2 * c], rstd = saved[2 * c + 1];
    const auto mean_s = static_cast<T>(mean);
    double sum_dy = 0, sum_dy_centered = 0;
    if (!global_sums.empty()) {
      sum_dy = global_sums[2 * c];
      sum_dy_centered = global_sums[2 * c + 1];
    } else {
      for (Eigen::Index n = 0; n < batch; ++n) {
        const Plane in(x + n * S::size + c * S::plane);
        const Plane g(dy + n * S::size + c * S::plane);
        sum_dy += static_cast<double>(g.sum());
        sum_dy_centered += static_cast<double>((g * (in - mean_s)).sum());
      }
    }
    // sum(dy * (x - mean)) from sum(dy * (x - mean_s)).
    sum_dy_centered -= (mean - static_cast<double>(mean_s)) * sum_dy;
    const double sum_dy_xhat = sum_dy_centered * rstd;
    dweight[c] += static_cast<T>(sum_dy_xhat);
    dbias[c] += static_cast<T>(sum_dy);
    if (dx == nullptr) return;
    const double scale = weight[c] * rstd;
    const double mean_dy = training ? sum_dy / count : 0.0;
    const double mean_dy_xhat = training ? sum_dy_xhat / count : 0.0;
    // dx = scale * (dy - mean_dy - (x - mean) * rstd * mean_dy_xhat) = a dy + b (x - mean_s) + k
    const auto a = static_cast<T>(scale);
    const auto b = static_cast<T>(-scale * rstd * mean_dy_xhat);
    const auto k = static_cast<T>(-scale * mean_dy + scale * rstd * mean_dy_xhat * (mean - static_cast<double>(mean_s)));
    // dx may be dy: each element is read before it is written.
    for (Eigen::Index n = 0; n < batch; ++n) {
      const Plane g(dy + n * S::size + c * S::plane);
      MutablePlane(dx + n * S::size + c * S::plane) = g * a + (Plane(x + n * S::size + c * S::plane) - mean_s) * b + k;
    }
  });
}

}  // namespace dae
