// The dae layers on the CUDA backend: partial specialisations of Conv2d, ConvTranspose2d,
// BatchNorm2d, Linear, ReLU, Sigmoid and Reshape for `dae::cuda`, with the CPU layers' public API
// (same member names, shapes, visit_state names and conventions: backward adds into parameter
// gradients and writes input gradients). Each wraps the kernels of kernels/*.cuh; work is issued
// on the backend's current stream (memory.hpp) and never waits for the device.
//
// Beyond the CPU API, each parametric layer has raw-pointer overloads of forward/backward that
// take the activation to fuse into the forward epilogue and the ReLU mask to fuse into the
// backward-data epilogue; the CUDA Autoencoder builds its fused training step from those.
// Parameters live on the device; the host members are mirrors (parameter.hpp).
//
// Compiled by nvcc only. <dae/autoencoder.hpp> includes this file itself when compiled by nvcc.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "dae/backend/cuda/memory.hpp"
#include "dae/backend/cuda/parameter.hpp"
#include "dae/backend/cuda/tensor.hpp"
#include "dae/error.hpp"
#include "dae/init.hpp"
#include "dae/kernels/activations.cuh"
#include "dae/kernels/batch_norm2d.cuh"
#include "dae/kernels/conv2d.cuh"
#include "dae/kernels/conv_transpose2d.cuh"
#include "dae/kernels/linear.cuh"
#include "dae/layers/activations.hpp"
#include "dae/layers/batch_norm2d.hpp"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/conv_transpose2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/layers/reshape.hpp"

namespace dae {

using kernels::Activation;

namespace cuda_backend::detail {

/// Calls f(std::integral_constant<Activation, act>{}) so a run-time choice picks a kernel template.
template <class F>
void with_activation(Activation act, F&& f) {
  switch (act) {
    case Activation::none: f(std::integral_constant<Activation, Activation::none>{}); break;
    case Activation::relu: f(std::integral_constant<Activation, Activation::relu>{}); break;
    case Activation::sigmoid: f(std::integral_constant<Activation, Activation::sigmoid>{}); break;
  }
}

/// visit_state for a layer's (weight, bias) pair, device-aware (see parameter.hpp).
template <class Layer, class Visitor>
void visit_weight_bias(Layer& layer, const std::string& prefix, Visitor& visitor, DeviceParameter& weight,
                       DeviceParameter& bias) {
  if constexpr (DeviceStateVisitor<Visitor>) {
    visitor.device_parameter(join_name(prefix, "weight"), layer.weight, weight);
    visitor.device_parameter(join_name(prefix, "bias"), layer.bias, bias);
  } else {
    layer.to_host();
    visitor.parameter(join_name(prefix, "weight"), layer.weight);
    visitor.parameter(join_name(prefix, "bias"), layer.bias);
    layer.to_device();
  }
}

}  // namespace cuda_backend::detail

/// Conv2d on the CUDA backend (see the primary template in layers/conv2d.hpp for the contract).
template <class InShape, int OutChannels, int KernelSize, int Stride, int Padding>
class Conv2d<InShape, OutChannels, KernelSize, Stride, Padding, cuda> {
 public:
  using scalar = float;
  using input_shape = InShape;
  using output_shape = Shape<OutChannels, conv_output_extent(InShape::height, KernelSize, Stride, Padding),
                             conv_output_extent(InShape::width, KernelSize, Stride, Padding)>;
  using Geometry = kernels::ConvGeometry<InShape::channels, InShape::height, InShape::width, OutChannels,
                                         KernelSize, Stride, Padding>;
  static_assert(Geometry::OH == output_shape::height && Geometry::OW == output_shape::width,
                "dae::Conv2d<cuda>: kernel geometry and layer shape disagree");
  static constexpr int fan_in = InShape::channels * KernelSize * KernelSize;

  Parameter<float> weight{{OutChannels, InShape::channels, KernelSize, KernelSize}};  ///< host mirror
  Parameter<float> bias{{OutChannels}};                                                ///< host mirror

  Conv2d() {
    weight_.allocate(Geometry::weight_size);
    bias_.allocate(OutChannels);
    to_device();
  }

  /// PyTorch's default initialisation (the CPU layer's draws, in the same order), then upload.
  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
    to_device();
  }

  /// y = conv(x) + bias.
  void forward(const Tensor<input_shape, cuda>& x, Tensor<output_shape, cuda>& y) const {
    y.resize(x.batch());
    forward(x.data(), y.data(), x.batch(), Activation::none);
  }
  /// y = act(conv(x) + bias) on raw device pointers.
  void forward(const float* x, float* y, Eigen::Index batch, Activation act) const {
    cuda_backend::detail::with_activation(act, [&](auto a) {
      kernels::conv2d_forward<Geometry, decltype(a)::value>(x, weight_.value.data(), bias_.value.data(), y, batch,
                                                            cuda_backend::current_stream());
    });
  }

  /// Adds dL/dweight and dL/dbias; writes dL/dx when `dx` is not null.
  void backward(const Tensor<input_shape, cuda>& x, const Tensor<output_shape, cuda>& dy,
                Tensor<input_shape, cuda>* dx) {
    if (dx != nullptr) dx->resize(x.batch());
    backward(x.data(), dy.data(), x.batch(), dx != nullptr ? dx->data() : nullptr, nullptr);
  }
  /// Raw form; with `mask`, dx is zeroed where mask <= 0 (the derivative of the ReLU whose output x is).
  void backward(const float* x, const float* dy, Eigen::Index batch, float* dx, const float* mask) {
    const cudaStream_t stream = cuda_backend::current_stream();
    workspace_.reserve(static_cast<std::size_t>(kernels::conv2d_backward_weights_workspace<Geometry>(batch)));
    kernels::conv2d_backward_weights<Geometry>(x, dy, weight_.grad.data(), bias_.grad.data(), batch,
                                               workspace_.data(), stream);
    if (dx != nullptr) kernels::conv2d_backward_data<Geometry>(dy, weight_.value.data(), mask, dx, batch, stream);
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    cuda_backend::detail::visit_weight_bias(*this, prefix, visitor, weight_, bias_);
  }
  /// Refreshes the host mirrors (values and gradients) from the device; waits for the stream.
  void to_host() {
    cuda_backend::download(weight, weight_);
    cuda_backend::download(bias, bias_);
  }
  /// Uploads the host values to the device.
  void to_device() {
    cuda_backend::upload(weight, weight_);
    cuda_backend::upload(bias, bias_);
  }

 private:
  cuda_backend::DeviceParameter weight_, bias_;
  cuda_backend::DeviceBuffer<float> workspace_;
};

/// ConvTranspose2d on the CUDA backend (contract: layers/conv_transpose2d.hpp).
template <class InShape, int OutChannels, int KernelSize, int Stride, int Padding, int OutputPadding>
class ConvTranspose2d<InShape, OutChannels, KernelSize, Stride, Padding, OutputPadding, cuda> {
  static_assert(OutputPadding >= 0 && OutputPadding < Stride,
                "dae::ConvTranspose2d: output_padding must be smaller than the stride (as in PyTorch)");

 public:
  using scalar = float;
  using input_shape = InShape;
  using output_shape =
      Shape<OutChannels, conv_transpose_output_extent(InShape::height, KernelSize, Stride, Padding, OutputPadding),
            conv_transpose_output_extent(InShape::width, KernelSize, Stride, Padding, OutputPadding)>;
  using Geometry = typename kernels::ConvTransposeGeometry<InShape::channels, InShape::height, InShape::width,
                                                           OutChannels, KernelSize, Stride, Padding,
                                                           OutputPadding>::type;
  static_assert(Geometry::H == output_shape::height && Geometry::W == output_shape::width,
                "dae::ConvTranspose2d<cuda>: kernel geometry and layer shape disagree");
  static constexpr int fan_in = OutChannels * KernelSize * KernelSize;

  Parameter<float> weight{{InShape::channels, OutChannels, KernelSize, KernelSize}};  ///< host mirror
  Parameter<float> bias{{OutChannels}};                                                ///< host mirror

  ConvTranspose2d() {
    weight_.allocate(Geometry::weight_size);
    bias_.allocate(OutChannels);
    to_device();
  }

  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
    to_device();
  }

  /// y = conv_transpose(x) + bias.
  void forward(const Tensor<input_shape, cuda>& x, Tensor<output_shape, cuda>& y) const {
    y.resize(x.batch());
    forward(x.data(), y.data(), x.batch(), Activation::none);
  }
  /// y = act(conv_transpose(x) + bias) on raw device pointers.
  void forward(const float* x, float* y, Eigen::Index batch, Activation act) const {
    cuda_backend::detail::with_activation(act, [&](auto a) {
      kernels::conv_transpose2d_forward<Geometry, decltype(a)::value>(x, weight_.value.data(), bias_.value.data(), y,
                                                                      batch, cuda_backend::current_stream());
    });
  }

  /// Adds dL/dweight and dL/dbias; writes dL/dx when `dx` is not null.
  void backward(const Tensor<input_shape, cuda>& x, const Tensor<output_shape, cuda>& dy,
                Tensor<input_shape, cuda>* dx) {
    if (dx != nullptr) dx->resize(x.batch());
    backward(x.data(), dy.data(), x.batch(), dx != nullptr ? dx->data() : nullptr, nullptr);
  }
  /// Raw form; with `mask`, dx is zeroed where mask <= 0.
  void backward(const float* x, const float* dy, Eigen::Index batch, float* dx, const float* mask) {
    const cudaStream_t stream = cuda_backend::current_stream();
    workspace_.reserve(
        static_cast<std::size_t>(kernels::conv_transpose2d_backward_weights_workspace<Geometry>(batch)));
    kernels::conv_transpose2d_backward_weights<Geometry>(x, dy, weight_.grad.data(), bias_.grad.data(), batch,
                                                         workspace_.data(), stream);
    if (dx != nullptr)
      kernels::conv_transpose2d_backward_data<Geometry>(dy, weight_.value.data(), mask, dx, batch, stream);
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    cuda_backend::detail::visit_weight_bias(*this, prefix, visitor, weight_, bias_);
  }
  void to_host() {
    cuda_backend::download(weight, weight_);
    cuda_backend::download(bias, bias_);
  }
  void to_device() {
    cuda_backend::upload(weight, weight_);
    cuda_backend::upload(bias, bias_);
  }

 private:
  cuda_backend::DeviceParameter weight_, bias_;
  cuda_backend::DeviceBuffer<float> workspace_;
};

/// Linear on the CUDA backend (contract: layers/linear.hpp), on our tiled GEMM.
template <int InFeatures, int OutFeatures>
class Linear<InFeatures, OutFeatures, cuda> {
 public:
  using scalar = float;
  using input_shape = Shape<InFeatures>;
  using output_shape = Shape<OutFeatures>;
  static constexpr int fan_in = InFeatures;

  Parameter<float> weight{{OutFeatures, InFeatures}};  ///< host mirror
  Parameter<float> bias{{OutFeatures}};                ///< host mirror

  Linear() {
    weight_.allocate(static_cast<std::size_t>(OutFeatures) * InFeatures);
    bias_.allocate(OutFeatures);
    to_device();
  }

  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
    to_device();
  }

  /// y = W x + b for every sample.
  void forward(const Tensor<input_shape, cuda>& x, Tensor<output_shape, cuda>& y) const {
    y.resize(x.batch());
    forward(x.data(), y.data(), x.batch(), Activation::none);
  }
  /// y = act(W x + b) on raw device pointers.
  void forward(const float* x, float* y, Eigen::Index batch, Activation act) const {
    cuda_backend::detail::with_activation(act, [&](auto a) {
      kernels::linear_forward<InFeatures, OutFeatures, decltype(a)::value>(
          x, weight_.value.data(), bias_.value.data(), y, batch, cuda_backend::current_stream());
    });
  }

  /// Adds dL/dW = dy x^T and dL/db = sum(dy); writes dL/dx = W^T dy when `dx` is not null.
  void backward(const Tensor<input_shape, cuda>& x, const Tensor<output_shape, cuda>& dy,
                Tensor<input_shape, cuda>* dx) {
    if (dx != nullptr) dx->resize(x.batch());
    backward(x.data(), dy.data(), x.batch(), dx != nullptr ? dx->data() : nullptr, nullptr);
  }
  /// Raw form; with `mask`, dx is zeroed where mask <= 0.
  void backward(const float* x, const float* dy, Eigen::Index batch, float* dx, const float* mask) {
    const cudaStream_t stream = cuda_backend::current_stream();
    workspace_.reserve(
        static_cast<std::size_t>(kernels::linear_backward_weights_workspace<InFeatures, OutFeatures>(batch)));
    kernels::linear_backward_weights<InFeatures, OutFeatures>(x, dy, weight_.grad.data(), bias_.grad.data(), batch,
                                                              workspace_.data(), stream);
    if (dx != nullptr)
      kernels::linear_backward_data<InFeatures, OutFeatures>(dy, weight_.value.data(), mask, dx, batch, stream);
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    cuda_backend::detail::visit_weight_bias(*this, prefix, visitor, weight_, bias_);
  }
  void to_host() {
    cuda_backend::download(weight, weight_);
    cuda_backend::download(bias, bias_);
  }
  void to_device() {
    cuda_backend::upload(weight, weight_);
    cuda_backend::upload(bias, bias_);
  }

 private:
  cuda_backend::DeviceParameter weight_, bias_;
  cuda_backend::DeviceBuffer<float> workspace_;
};

/// BatchNorm2d on the CUDA backend (contract: layers/batch_norm2d.hpp): PyTorch's semantics,
/// statistics in double. num_batches_tracked is counted on the host (it needs no device data).
template <class S>
class BatchNorm2d<S, cuda> {
 public:
  using scalar = float;
  using input_shape = S;
  using output_shape = S;
  static constexpr double eps = kernels::kBatchNormEps;
  static constexpr double momentum = kernels::kBatchNormMomentum;

  Parameter<float> weight{{S::channels}};  ///< gamma (host mirror)
  Parameter<float> bias{{S::channels}};    ///< beta (host mirror)
  Buffer<float> running_mean{Buffer<float>::Vector::Zero(S::channels), {S::channels}};  ///< host mirror
  Buffer<float> running_var{Buffer<float>::Vector::Ones(S::channels), {S::channels}};   ///< host mirror
  std::int64_t num_batches_tracked = 0;

  BatchNorm2d() {
    weight.value.setOnes();
    weight_.allocate(S::channels);
    bias_.allocate(S::channels);
    running_mean_.reserve(S::channels);
    running_var_.reserve(S::channels);
    saved_.reserve(2 * S::channels);
    coefficients_.reserve(3 * S::channels);
    workspace_.reserve(static_cast<std::size_t>(kernels::batch_norm2d_workspace<S::channels>()));
    to_device();
  }

  /// PyTorch's defaults: weight 1, bias 0, running mean 0, running variance 1, counter 0.
  void reset_parameters(Rng&) {
    weight.value.setOnes();
    bias.value.setZero();
    running_mean.value.setZero();
    running_var.value.setOnes();
    num_batches_tracked = 0;
    to_device();
  }

  void set_training(bool training) { training_ = training; }
  [[nodiscard]] bool training() const { return training_; }

  /// Normalises x into y; in training mode also updates the running statistics.
  /// @throws dae::Error in training mode when batch * H * W <= 1, as the CPU layer
  void forward(const Tensor<S, cuda>& x, Tensor<S, cuda>& y) {
    y.resize(x.batch());
    forward(x.data(), y.data(), x.batch(), Activation::none);
  }
  /// y = act(BN(x)) on raw device pointers.
  void forward(const float* x, float* y, Eigen::Index batch, Activation act) {
    const cudaStream_t stream = cuda_backend::current_stream();
    if (training_ && static_cast<double>(batch) * S::plane <= 1)
      throw Error("BatchNorm2d: training needs more than one value per channel (batch of one 1x1 sample)");
    cuda_backend::detail::with_activation(act, [&](auto a) {
      if (training_) {
        kernels::batch_norm2d_forward<S::channels, S::plane, decltype(a)::value>(
            x, weight_.value.data(), bias_.value.data(), running_mean_.data(), running_var_.data(), saved_.data(), y,
            batch, workspace_.data(), stream);
      } else {
        kernels::batch_norm2d_eval_forward<S::channels, S::plane, decltype(a)::value>(
            x, weight_.value.data(), bias_.value.data(), running_mean_.data(), running_var_.data(), saved_.data(), y,
            batch, stream);
      }
    });
    if (training_ && batch > 0) ++num_batches_tracked;
  }

  /// Adds dL/dweight, dL/dbias; writes dL/dx (when not null) with the last forward's statistics.
  void backward(const Tensor<S, cuda>& x, const Tensor<S, cuda>& dy, Tensor<S, cuda>* dx) {
    if (dx != nullptr) dx->resize(x.batch());
    backward(x.data(), dy.data(), x.batch(), dx != nullptr ? dx->data() : nullptr);
  }
  void backward(const float* x, const float* dy, Eigen::Index batch, float* dx) {
    kernels::batch_norm2d_backward<S::channels, S::plane>(x, dy, saved_.data(), weight_.value.data(),
                                                          weight_.grad.data(), bias_.grad.data(), dx, batch,
                                                          training_, workspace_.data(), coefficients_.data(),
                                                          cuda_backend::current_stream());
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    if constexpr (cuda_backend::DeviceStateVisitor<Visitor>) {
      visitor.device_parameter(join_name(prefix, "weight"), weight, weight_);
      visitor.device_parameter(join_name(prefix, "bias"), bias, bias_);
      visitor.device_buffer(join_name(prefix, "running_mean"), running_mean, running_mean_);
      visitor.device_buffer(join_name(prefix, "running_var"), running_var, running_var_);
      visitor.counter(join_name(prefix, "num_batches_tracked"), num_batches_tracked);
    } else {
      to_host();
      visitor.parameter(join_name(prefix, "weight"), weight);
      visitor.parameter(join_name(prefix, "bias"), bias);
      visitor.buffer(join_name(prefix, "running_mean"), running_mean);
      visitor.buffer(join_name(prefix, "running_var"), running_var);
      visitor.counter(join_name(prefix, "num_batches_tracked"), num_batches_tracked);
      to_device();
    }
  }
  void to_host() {
    cuda_backend::download(weight, weight_);
    cuda_backend::download(bias, bias_);
    cuda_backend::download(running_mean, running_mean_);
    cuda_backend::download(running_var, running_var_);
  }
  void to_device() {
    cuda_backend::upload(weight, weight_);
    cuda_backend::upload(bias, bias_);
    cuda_backend::upload(running_mean, running_mean_);
    cuda_backend::upload(running_var, running_var_);
  }

 private:
  bool training_ = true;
  cuda_backend::DeviceParameter weight_, bias_;
  cuda_backend::DeviceBuffer<float> running_mean_, running_var_;
  cuda_backend::DeviceBuffer<double> saved_;         // (C, 2) mean, rstd of the last forward
  cuda_backend::DeviceBuffer<double> coefficients_;  // (C, 3) of the last backward
  cuda_backend::DeviceBuffer<double> workspace_;     // statistics partials
};

/// ReLU on the CUDA backend; y may be x, dx may be dy.
template <class S>
struct ReLU<S, cuda> {
  using input_shape = S;
  using output_shape = S;
  static void forward(const Tensor<S, cuda>& x, Tensor<S, cuda>& y) {
    y.resize(x.batch());
    kernels::relu_forward(x.data(), y.data(), static_cast<long long>(x.size()), cuda_backend::current_stream());
  }
  static void backward(const Tensor<S, cuda>& y, const Tensor<S, cuda>& dy, Tensor<S, cuda>& dx) {
    dx.resize(y.batch());
    kernels::relu_backward(y.data(), dy.data(), dx.data(), static_cast<long long>(y.size()),
                           cuda_backend::current_stream());
  }
};

/// Sigmoid on the CUDA backend; y may be x, dx may be dy.
template <class S>
struct Sigmoid<S, cuda> {
  using input_shape = S;
  using output_shape = S;
  using scalar = float;
  static void forward(const Tensor<S, cuda>& x, Tensor<S, cuda>& y) {
    y.resize(x.batch());
    kernels::sigmoid_forward(x.data(), y.data(), static_cast<long long>(x.size()), cuda_backend::current_stream());
  }
  static void backward(const Tensor<S, cuda>& y, const Tensor<S, cuda>& dy, Tensor<S, cuda>& dx) {
    dx.resize(y.batch());
    kernels::sigmoid_backward(y.data(), dy.data(), dx.data(), static_cast<long long>(y.size()),
                              cuda_backend::current_stream());
  }
};

/// Flatten/Unflatten on the CUDA backend: a device-to-device copy (layouts are identical).
template <class From, class To>
struct Reshape<From, To, cuda> {
  static_assert(From::size == To::size, "dae::Reshape: both shapes must hold the same number of elements");
  using input_shape = From;
  using output_shape = To;
  static void forward(const Tensor<From, cuda>& x, Tensor<To, cuda>& y) {
    y.resize(x.batch());
    copy(x.data(), y.data(), x.size());
  }
  static void backward(const Tensor<To, cuda>& dy, Tensor<From, cuda>& dx) {
    dx.resize(dy.batch());
    copy(dy.data(), dx.data(), dy.size());
  }

 private:
  static void copy(const float* from, float* to, std::size_t count) {
    if (count == 0 || from == to) return;
    DAE_CUDA_CHECK(cudaMemcpyAsync(to, from, count * sizeof(float), cudaMemcpyDeviceToDevice,
                                   cuda_backend::current_stream()));
  }
};

}  // namespace dae
