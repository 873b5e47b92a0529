// BatchNorm2d with PyTorch's semantics, for any backend: in training, normalise with the batch
// statistics and update the running ones (momentum 0.1); in evaluation, normalise with the
// running statistics. The arithmetic is the backend's (backend/cpu/batch_norm2d.hpp,
// backend/cuda/batch_norm2d.cuh); forward keeps the statistics backward needs.
#pragma once

#include <cstdint>
#include <string>

#include "dae/backend/ops.hpp"
#include "dae/error.hpp"
#include "dae/parameter.hpp"
#include "dae/rng.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// torch.nn.BatchNorm2d(S::channels, eps=1e-5, momentum=0.1, affine=True,
/// track_running_stats=True).
/// @tparam S        sample shape (C, H, W); statistics are per channel over batch, H and W
/// @tparam Backend  dae::cpu, dae::cuda, or cpu_t<double> for gradient checks
template <class S, class Backend = cpu>
class BatchNorm2d {
 public:
  using backend = Backend;
  using scalar = typename Backend::scalar;
  using input_shape = S;
  using output_shape = S;
  using Vector = typename Buffer<scalar>::Vector;
  static constexpr double eps = kBatchNormEps;
  static constexpr double momentum = kBatchNormMomentum;

  parameter_t<Backend> weight{{S::channels}};  ///< gamma, initialised to 1
  parameter_t<Backend> bias{{S::channels}};    ///< beta, initialised to 0
  buffer_t<Backend> running_mean{Buffer<scalar>{Vector::Zero(S::channels), {S::channels}}};
  buffer_t<Backend> running_var{Buffer<scalar>{Vector::Ones(S::channels), {S::channels}}};
  std::int64_t num_batches_tracked = 0;

  BatchNorm2d() {
    weight.value.setOnes();
    upload_values(weight);
  }

  /// PyTorch's defaults: weight 1, bias 0, running mean 0, running variance 1, counter 0.
  void reset_parameters(Rng&) {
    weight.value.setOnes();
    bias.value.setZero();
    running_mean.value.setZero();
    running_var.value.setOnes();
    num_batches_tracked = 0;
    upload_values(weight);
    upload_values(bias);
    upload_values(running_mean);
    upload_values(running_var);
  }

  void set_training(bool training) { training_ = training; }
  [[nodiscard]] bool training() const { return training_; }

  /// y = act(BN(x)); in training mode also updates the running statistics.
  /// @throws dae::Error in training mode when there is only one value per channel
  void forward(const Tensor<S, Backend>& x, Tensor<S, Backend>& y, Activation act = Activation::none) {
    const Eigen::Index batch = x.batch();
    y.resize(batch);
    if (training_ && static_cast<double>(batch) * S::plane <= 1)
      throw Error("BatchNorm2d: training needs more than one value per channel (batch of one 1x1 sample)");
    batch_norm2d_forward<S>(Backend{}, x.data(), batch, values(weight), values(bias), values(running_mean),
                            values(running_var), training_, act, y.data(), saved_, workspace_);
    if (training_ && batch > 0) ++num_batches_tracked;
  }

  /// Adds dL/dweight and dL/dbias; writes dL/dx when `dx` is not null (it may be &dy), with the
  /// statistics of the last forward, times the derivative of `input_activation`.
  void backward(const Tensor<S, Backend>& x, const Tensor<S, Backend>& dy, Tensor<S, Backend>* dx,
                Activation input_activation = Activation::none) {
    if (dx != nullptr && dx != &dy) dx->resize(x.batch());
    batch_norm2d_backward<S>(Backend{}, x.data(), dy.data(), x.batch(), saved_, values(weight), training_,
                             dx != nullptr ? dx->data() : nullptr, grads(weight), grads(bias), workspace_);
    if (dx != nullptr) activation_backward(Backend{}, input_activation, x.data(), dx->data(), x.batch() * S::size);
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    visit_parameter(visitor, join_name(prefix, "weight"), weight);
    visit_parameter(visitor, join_name(prefix, "bias"), bias);
    visit_buffer(visitor, join_name(prefix, "running_mean"), running_mean);
    visit_buffer(visitor, join_name(prefix, "running_var"), running_var);
    visitor.counter(join_name(prefix, "num_batches_tracked"), num_batches_tracked);
  }

 private:
  bool training_ = true;
  scratch_t<Backend, double> saved_;      // (C, 2) mean and 1/sqrt(var + eps) of the last forward
  scratch_t<Backend, double> workspace_;  // the backend's statistics partials
};

}  // namespace dae
