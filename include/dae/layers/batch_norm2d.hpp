// BatchNorm2d with PyTorch's semantics: in training, normalise with the batch statistics (biased
// variance) and update the running statistics with momentum 0.1 (unbiased variance); in
// evaluation, normalise with the running statistics. Statistics are accumulated in double, as
// PyTorch's CPU kernel does. Forward caches mean and 1/sqrt(var + eps) for backward.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dae/backend/cpu/parallel.hpp"
#include "dae/error.hpp"
#include "dae/parameter.hpp"
#include "dae/rng.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// torch.nn.BatchNorm2d(S::channels, eps=1e-5, momentum=0.1, affine=True,
/// track_running_stats=True).
/// @tparam S        sample shape (C, H, W); statistics are per channel over batch, H and W
/// @tparam Backend  dae::cpu (or cpu_t<double> for gradient checks)
template <class S, class Backend = cpu>
class BatchNorm2d {
  static_assert(is_cpu_backend_v<Backend>,
                "dae::BatchNorm2d: this header implements the CPU backend only");

 public:
  using scalar = typename Backend::scalar;
  using input_shape = S;
  using output_shape = S;
  static constexpr double eps = 1e-5;
  static constexpr double momentum = 0.1;

  Parameter<scalar> weight{{S::channels}};  ///< gamma, initialised to 1
  Parameter<scalar> bias{{S::channels}};    ///< beta, initialised to 0
  Buffer<scalar> running_mean{Buffer<scalar>::Vector::Zero(S::channels), {S::channels}};
  Buffer<scalar> running_var{Buffer<scalar>::Vector::Ones(S::channels), {S::channels}};
  std::int64_t num_batches_tracked = 0;

  BatchNorm2d() { weight.value.setOnes(); }

  /// PyTorch's defaults: weight 1, bias 0, running mean 0, running variance 1, counter 0.
  void reset_parameters(Rng&) {
    weight.value.setOnes();
    bias.value.setZero();
    running_mean.value.setZero();
    running_var.value.setOnes();
    num_batches_tracked = 0;
  }

  void set_training(bool training) { training_ = training; }
  [[nodiscard]] bool training() const { return training_; }

  /// Normalises x into y. In training mode also updates the running statistics.
  /// @pre in training mode, batch * H * W > 1 (a variance needs two values)
  /// @throws dae::Error when that does not hold
  void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) {
    const Eigen::Index batch = x.batch();
    y.resize(batch);
    mean_.resize(S::channels);
    rstd_.resize(S::channels);
    if (training_) {
      const double count = static_cast<double>(batch) * S::plane;
      if (count <= 1)
        throw Error(
            "BatchNorm2d: training needs more than one value per channel (batch of one 1x1 "
            "sample)");
      detail::parallel_ranges(
          S::channels, [&](Eigen::Index first_channel, Eigen::Index last_channel) {
            for (Eigen::Index c = first_channel; c < last_channel; ++c) {
              double sum = 0;
              for (Eigen::Index n = 0; n < batch; ++n) {
                const scalar* plane = x.sample(n) + c * S::plane;
                for (int i = 0; i < S::plane; ++i) sum += plane[i];
              }
              const double mean = sum / count;
              double squares = 0;
              for (Eigen::Index n = 0; n < batch; ++n) {
                const scalar* plane = x.sample(n) + c * S::plane;
                for (int i = 0; i < S::plane; ++i) squares += (plane[i] - mean) * (plane[i] - mean);
              }
              const double variance = squares / count;
              mean_[c] = mean;
              rstd_[c] = 1.0 / std::sqrt(variance + eps);
              running_mean.value[c] =
                  static_cast<scalar>((1 - momentum) * running_mean.value[c] + momentum * mean);
              running_var.value[c] = static_cast<scalar>((1 - momentum) * running_var.value[c] +
                                                         momentum * squares / (count - 1));
            }
          });
      ++num_batches_tracked;
    } else {
      for (int c = 0; c < S::channels; ++c) {
        mean_[c] = running_mean.value[c];
        rstd_[c] = 1.0 / std::sqrt(static_cast<double>(running_var.value[c]) + eps);
      }
    }
    detail::parallel_ranges(batch, [&](Eigen::Index first, Eigen::Index last) {
      for (Eigen::Index n = first; n < last; ++n) {
        for (int c = 0; c < S::channels; ++c) {
          const double scale = rstd_[c] * weight.value[c];
          const double shift = bias.value[c] - mean_[c] * scale;
          const scalar* in = x.sample(n) + c * S::plane;
          scalar* out = y.sample(n) + c * S::plane;
          for (int i = 0; i < S::plane; ++i) out[i] = static_cast<scalar>(in[i] * scale + shift);
        }
      }
    });
  }

  /// Adds dL/dweight, dL/dbias; writes dL/dx (not null) using the statistics of the last forward.
  /// In training mode the batch statistics depend on x, which adds the two mean terms:
  ///   dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))
  /// In evaluation mode the statistics are constants: dx = gamma * rstd * dy.
  void backward(const Tensor<S, Backend>& x, const Tensor<S, Backend>& dy, Tensor<S, Backend>* dx) {
    const Eigen::Index batch = x.batch();
    const double count = static_cast<double>(batch) * S::plane;
    if (dx != nullptr) dx->resize(batch);
    detail::parallel_ranges(
        S::channels, [&](Eigen::Index first_channel, Eigen::Index last_channel) {
          for (Eigen::Index c = first_channel; c < last_channel; ++c) {
            double sum_dy = 0, sum_dy_xhat = 0;
            for (Eigen::Index n = 0; n < batch; ++n) {
              const scalar* in = x.sample(n) + c * S::plane;
              const scalar* grad = dy.sample(n) + c * S::plane;
              for (int i = 0; i < S::plane; ++i) {
                sum_dy += grad[i];
                sum_dy_xhat += grad[i] * (in[i] - mean_[c]) * rstd_[c];
              }
            }
            weight.grad[c] += static_cast<scalar>(sum_dy_xhat);
            bias.grad[c] += static_cast<scalar>(sum_dy);
            if (dx == nullptr) continue;
            const double scale = weight.value[c] * rstd_[c];
            const double mean_dy = training_ ? sum_dy / count : 0.0;
            const double mean_dy_xhat = training_ ? sum_dy_xhat / count : 0.0;
            for (Eigen::Index n = 0; n < batch; ++n) {
              const scalar* in = x.sample(n) + c * S::plane;
              const scalar* grad = dy.sample(n) + c * S::plane;
              scalar* out = dx->sample(n) + c * S::plane;
              for (int i = 0; i < S::plane; ++i) {
                const double xhat = (in[i] - mean_[c]) * rstd_[c];
                out[i] = static_cast<scalar>(scale * (grad[i] - mean_dy - xhat * mean_dy_xhat));
              }
            }
          }
        });
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    visitor.parameter(join_name(prefix, "weight"), weight);
    visitor.parameter(join_name(prefix, "bias"), bias);
    visitor.buffer(join_name(prefix, "running_mean"), running_mean);
    visitor.buffer(join_name(prefix, "running_var"), running_var);
    visitor.counter(join_name(prefix, "num_batches_tracked"), num_batches_tracked);
  }

 private:
  bool training_ = true;
  std::vector<double> mean_, rstd_;  // of the last forward, per channel
};

}  // namespace dae
