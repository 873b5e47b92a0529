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
  void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) { forward_impl<false>(x, y); }

  /// Adds dL/dweight, dL/dbias; writes dL/dx (not null) using the statistics of the last forward.
  /// In training mode the batch statistics depend on x, which adds the two mean terms:
  ///   dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))
  /// In evaluation mode the statistics are constants: dx = gamma * rstd * dy.
  void backward(const Tensor<S, Backend>& x, const Tensor<S, Backend>& dy, Tensor<S, Backend>* dx) {
    backward_impl<false>(x, dy, nullptr, dx);
  }

  /// forward followed by ReLU, in one pass (what a model's BatchNorm + ReLU pair runs).
  void forward_relu(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) { forward_impl<true>(x, y); }

  /// backward of forward_relu: `y` is its output, `dy` the gradient after the ReLU; dx may be dy.
  void backward_relu(const Tensor<S, Backend>& x, const Tensor<S, Backend>& y, const Tensor<S, Backend>& dy,
                     Tensor<S, Backend>* dx) {
    backward_impl<true>(x, dy, &y, dx);
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
  using Plane = Eigen::Map<const Eigen::Array<scalar, S::plane, 1>>;
  using MutablePlane = Eigen::Map<Eigen::Array<scalar, S::plane, 1>>;

  // Each channel is one task: its statistics are summed over the batch in sample order (per
  // plane in the backend's precision, across planes in double, as PyTorch's CPU kernel does),
  // whichever thread runs it.
  template <bool Relu>
  void forward_impl(const Tensor<S, Backend>& x, Tensor<S, Backend>& y) {
    const Eigen::Index batch = x.batch();
    y.resize(batch);
    mean_.resize(S::channels);
    rstd_.resize(S::channels);
    const double count = static_cast<double>(batch) * S::plane;
    if (training_ && count <= 1)
      throw Error(
          "BatchNorm2d: training needs more than one value per channel (batch of one 1x1 "
          "sample)");
    if (training_) ++num_batches_tracked;
    detail::parallel_chunks(S::channels, 1, [&](Eigen::Index c, Eigen::Index) {
      if (training_) {
        double sum = 0;
        for (Eigen::Index n = 0; n < batch; ++n) sum += static_cast<double>(Plane(x.sample(n) + c * S::plane).sum());
        const double mean = sum / count;
        const auto mean_s = static_cast<scalar>(mean);
        double squares = 0;
        for (Eigen::Index n = 0; n < batch; ++n)
          squares += static_cast<double>((Plane(x.sample(n) + c * S::plane) - mean_s).square().sum());
        // The squares were taken about mean_s; correct them to the exact mean.
        const double shift = mean - static_cast<double>(mean_s);
        squares -= count * shift * shift;
        const double variance = std::max(0.0, squares / count);
        mean_[c] = mean;
        rstd_[c] = 1.0 / std::sqrt(variance + eps);
        running_mean.value[c] = static_cast<scalar>((1 - momentum) * running_mean.value[c] + momentum * mean);
        running_var.value[c] = static_cast<scalar>((1 - momentum) * running_var.value[c] +
                                                   momentum * squares / (count - 1));
      } else {
        mean_[c] = running_mean.value[c];
        rstd_[c] = 1.0 / std::sqrt(static_cast<double>(running_var.value[c]) + eps);
      }
      const auto mean_s = static_cast<scalar>(mean_[c]);
      const auto scale = static_cast<scalar>(rstd_[c] * weight.value[c]);
      const scalar shift = bias.value[c];
      for (Eigen::Index n = 0; n < batch; ++n) {
        MutablePlane out(y.sample(n) + c * S::plane);
        if constexpr (Relu)
          out = ((Plane(x.sample(n) + c * S::plane) - mean_s) * scale + shift).max(scalar(0));
        else
          out = (Plane(x.sample(n) + c * S::plane) - mean_s) * scale + shift;
      }
    });
  }

  template <bool Relu>
  void backward_impl(const Tensor<S, Backend>& x, const Tensor<S, Backend>& dy, const Tensor<S, Backend>* y,
                     Tensor<S, Backend>* dx) {
    const Eigen::Index batch = x.batch();
    const double count = static_cast<double>(batch) * S::plane;
    if (dx != nullptr && dx != &dy) dx->resize(batch);
    detail::parallel_chunks(S::channels, 1, [&](Eigen::Index c, Eigen::Index) {
      const auto mean_s = static_cast<scalar>(mean_[c]);
      // Pass 1: g = dL/d(BN output) (dy, or dy masked by the ReLU that followed), kept in dx
      // when there is one, and the two sums.
      double sum_dy = 0, sum_dy_centered = 0;
      Eigen::Array<scalar, S::plane, 1> masked;
      for (Eigen::Index n = 0; n < batch; ++n) {
        const Plane in(x.sample(n) + c * S::plane);
        const Plane g(dy.sample(n) + c * S::plane);
        if constexpr (Relu) {
          masked = (Plane(y->sample(n) + c * S::plane) > scalar(0)).select(g, scalar(0));
          if (dx != nullptr) MutablePlane(dx->sample(n) + c * S::plane) = masked;
          sum_dy += static_cast<double>(masked.sum());
          sum_dy_centered += static_cast<double>((masked * (in - mean_s)).sum());
        } else {
          sum_dy += static_cast<double>(g.sum());
          sum_dy_centered += static_cast<double>((g * (in - mean_s)).sum());
        }
      }
      // sum(dy * (x - mean)) from sum(dy * (x - mean_s)).
      sum_dy_centered -= (mean_[c] - static_cast<double>(mean_s)) * sum_dy;
      const double sum_dy_xhat = sum_dy_centered * rstd_[c];
      weight.grad[c] += static_cast<scalar>(sum_dy_xhat);
      bias.grad[c] += static_cast<scalar>(sum_dy);
      if (dx == nullptr) return;
      const double scale = weight.value[c] * rstd_[c];
      const double mean_dy = training_ ? sum_dy / count : 0.0;
      const double mean_dy_xhat = training_ ? sum_dy_xhat / count : 0.0;
      // dx = scale * (dy - mean_dy - (x - mean) * rstd * mean_dy_xhat) = a dy + b (x - mean_s) + k
      const auto a = static_cast<scalar>(scale);
      const auto b = static_cast<scalar>(-scale * rstd_[c] * mean_dy_xhat);
      const auto k = static_cast<scalar>(-scale * mean_dy +
                                         scale * rstd_[c] * mean_dy_xhat * (mean_[c] - static_cast<double>(mean_s)));
      // Pass 2 (dx may be dy: each element is read before it is written).
      for (Eigen::Index n = 0; n < batch; ++n) {
        const Plane g((Relu ? dx->sample(n) : dy.sample(n)) + c * S::plane);
        MutablePlane(dx->sample(n) + c * S::plane) = g * a + (Plane(x.sample(n) + c * S::plane) - mean_s) * b + k;
      }
    });
  }

  bool training_ = true;
  std::vector<double> mean_, rstd_;  // of the last forward, per channel
};

}  // namespace dae
