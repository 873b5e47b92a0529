// dae::Autoencoder<Latent, dae::cuda>: the reference denoising autoencoder on the GPU, with the
// CPU model's public API (encode, decode, reconstruct, loss, train_step, forward_backward,
// set_training/train/eval, optimizer, visit_state, save, load) and the same state_dict names, so
// a checkpoint moves freely between the two. It holds the same Encoder/Decoder structs as the CPU
// model, instantiated with the CUDA layers (layers.cuh), and initialises them from the same Rng
// draws: Autoencoder<4, cuda>(seed) starts from exactly the parameters of Autoencoder<4>(seed).
//
// The training step does not go through Encoder::forward layer by layer: it runs its own call
// list with every activation fused into its neighbour (conv/BN/Linear epilogues, ReLU derivatives
// in the next backward-data pass, Sigmoid's derivative in the MSE gradient) and no Flatten copies.
// All of it is issued on the backend's current stream (memory.hpp: cudaStreamPerThread unless a
// StreamScope says otherwise), in order with the uploads of the caller's tensors, without waiting;
// the loss is reduced on the device.
// `train_step` waits for its loss (the CPU API returns it); `train_step_async` does not, and adds
// the loss to a device accumulator that `take_loss_sum` reads once per epoch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "dae/autoencoder.hpp"
#include "dae/backend/cuda/adam.cuh"
#include "dae/backend/cuda/layers.cuh"
#include "dae/backend/cuda/memory.hpp"
#include "dae/backend/cuda/tensor.hpp"
#include "dae/checkpoint.hpp"
#include "dae/kernels/mse.cuh"

namespace dae {

/// The reference denoising autoencoder on the CUDA backend (see the CPU model for the contract).
/// Construction needs a usable CUDA device. Not copyable.
/// @tparam Latent  code dimension
template <int Latent>
class Autoencoder<Latent, cuda> {
 public:
  using scalar = float;
  using backend = cuda;
  using image_shape = Shape<1, 28, 28>;
  using code_shape = Shape<Latent>;
  using Images = Tensor<image_shape, cuda>;
  using Codes = Tensor<code_shape, cuda>;
  using HostImages = Tensor<image_shape, cpu>;
  using HostCodes = Tensor<code_shape, cpu>;
  static constexpr int latent = Latent;

  Encoder<Latent, cuda> encoder;
  Decoder<Latent, cuda> decoder;
  DAE_CHECK_JUNCTION(encoder, decoder);

  /// A model initialised as the CPU model with the same seed, in training mode.
  explicit Autoencoder(std::uint64_t seed = 0, AdamOptions options = {}) : optimizer_(options) {
    loss_.reserve(2);  // [0] last loss, [1] accumulator
    mse_workspace_.reserve(static_cast<std::size_t>(kernels::kMseBlocks));
    DAE_CUDA_CHECK(cudaMemsetAsync(loss_.data(), 0, 2 * sizeof(double), cuda_backend::current_stream()));
    reset_parameters(seed);
  }
  Autoencoder(const Autoencoder&) = delete;
  Autoencoder& operator=(const Autoencoder&) = delete;

  /// Re-initialises every parameter and buffer from `seed` (the CPU model's draws) and resets Adam.
  void reset_parameters(std::uint64_t seed) {
    Rng rng(seed, /*stream=*/0x1417);
    encoder.reset_parameters(rng);
    decoder.reset_parameters(rng);
    struct Collect {
      std::vector<CudaAdam::Entry>& out;
      void device_parameter(const std::string& name, Parameter<float>& p, cuda_backend::DeviceParameter& d) {
        out.push_back({name, &p, &d});
      }
      void device_buffer(const std::string&, Buffer<float>&, cuda_backend::DeviceBuffer<float>&) {}
      void counter(const std::string&, std::int64_t&) {}
    };
    std::vector<CudaAdam::Entry> entries;
    Collect collect{entries};
    encoder.visit_state("encoder", collect);
    decoder.visit_state("decoder", collect);
    optimizer_.attach(std::move(entries));
  }

  /// Training mode: BatchNorm uses (and updates) batch statistics. Evaluation: running statistics.
  void set_training(bool training) {
    training_ = training;
    encoder.set_training(training);
    decoder.set_training(training);
  }
  void train() { set_training(true); }
  void eval() { set_training(false); }
  [[nodiscard]] bool training() const { return training_; }

  /// codes = encoder(images), in the current mode (device tensors; does not wait).
  void encode(const Images& images, Codes& codes) {
    codes.resize(images.batch());
    encode_raw(images.data(), images.batch(), codes.data());
  }
  /// images = decoder(codes), in the current mode (device tensors; does not wait).
  void decode(const Codes& codes, Images& images) {
    images.resize(codes.batch());
    decode_raw(codes.data(), codes.batch(), images.data());
  }
  /// out = decoder(encoder(images)), in the current mode (device tensors; does not wait).
  void reconstruct(const Images& images, Images& out) {
    out.resize(images.batch());
    code_.resize(images.batch());
    encode_raw(images.data(), images.batch(), code_.data());
    decode_raw(code_.data(), images.batch(), out.data());
  }

  /// Host-tensor conveniences: upload, run, download (these wait).
  void encode(const HostImages& images, HostCodes& codes) {
    host_in_.upload(images);
    encode(host_in_, code_);
    code_.download(codes);
  }
  void decode(const HostCodes& codes, HostImages& images) {
    code_in_.upload(codes);
    decode(code_in_, output_);
    output_.download(images);
  }
  void reconstruct(const HostImages& images, HostImages& out) {
    host_in_.upload(images);
    reconstruct(host_in_, output_);
    output_.download(out);
  }

  /// MSE between reconstruct(noisy) and clean, in the current mode, without touching gradients.
  /// Waits for the result.
  double loss(const Images& noisy, const Images& clean) {
    reconstruct(noisy, output_);
    kernels::mse_loss_forward(output_.data(), clean.data(), static_cast<long long>(output_.size()), loss_.data(),
                              nullptr, mse_workspace_.data(), cuda_backend::current_stream());
    return last_loss();
  }

  /// One training step: forward on `noisy`, MSE against `clean`, backward, one Adam update, in
  /// the current mode. Waits for and returns the loss. @pre noisy.batch() == clean.batch() > 0
  double train_step(const Images& noisy, const Images& clean) {
    train_step_async(noisy, clean);
    return last_loss();
  }

  /// Host-tensor forms of train_step and loss (upload both batches, then as above), so code written
  /// for Autoencoder<4> with CPU batches runs unchanged on the GPU. Slower than device-resident
  /// data (DeviceImageSet, data.cuh) with train_step_async, which is what a fast epoch uses.
  double train_step(const HostImages& noisy, const HostImages& clean) {
    host_in_.upload(noisy);
    host_target_.upload(clean);
    return train_step(host_in_, host_target_);
  }
  double loss(const HostImages& noisy, const HostImages& clean) {
    host_in_.upload(noisy);
    host_target_.upload(clean);
    return loss(host_in_, host_target_);
  }

  /// As train_step without waiting: the loss is added to the device accumulator (take_loss_sum).
  void train_step_async(const Images& noisy, const Images& clean) {
    optimizer_.zero_grad();
    forward_backward_async(noisy, clean);
    optimizer_.step();
  }

  /// Forward, loss and backward without the update (gradients accumulate: zero them first, as on
  /// the CPU). Waits for and returns the loss.
  double forward_backward(const Images& noisy, const Images& clean) {
    forward_backward_async(noisy, clean);
    return last_loss();
  }

  /// The sum of the losses of the steps since the last call (train_step_async and train_step),
  /// then resets it. Waits for the stream.
  double take_loss_sum() {
    double values[2] = {0, 0};
    cuda_backend::copy_to_host(values, loss_.data(), 2, cuda_backend::current_stream());
    DAE_CUDA_CHECK(cudaMemsetAsync(loss_.data() + 1, 0, sizeof(double), cuda_backend::current_stream()));
    return values[1];
  }

  /// The output of the last forward pass (train_step, loss, reconstruct into the model's buffer).
  [[nodiscard]] const Images& last_output() const { return output_; }

  CudaAdam& optimizer() { return optimizer_; }
  /// Waits for the work issued on the current stream (the model's, unless a StreamScope changed it).
  void synchronize() const { DAE_CUDA_CHECK(cudaStreamSynchronize(cuda_backend::current_stream())); }

  /// Visits parameters, buffers and counters under their PyTorch state_dict names (host mirrors,
  /// refreshed from the device before and uploaded after each layer's visit).
  template <class Visitor>
  void visit_state(Visitor& visitor) {
    encoder.visit_state("encoder", visitor);
    decoder.visit_state("decoder", visitor);
  }

  /// Writes the state_dict tensors as safetensors, atomically (the same file the CPU model writes).
  void save(const std::filesystem::path& path) { save_state(*this, path); }
  /// Reads a checkpoint written by either backend or by PyTorch; strict and all-or-nothing.
  void load(const std::filesystem::path& path) {
    load_state(*this, path);
    synchronize();
  }

 private:
  using A = kernels::Activation;

  double last_loss() {
    double value = 0;
    cuda_backend::copy_to_host(&value, loss_.data(), 1, cuda_backend::current_stream());
    return value;
  }

  // Each half sizes only its own activations: encoding 48,000 images allocated the decoder's
  // too (about 1.6 GB) when one function sized both.
  void resize_encoder_activations(Eigen::Index n) {
    a0_.resize(n), a2_.resize(n), a3_.resize(n), a5_.resize(n), e0_.resize(n);
  }
  void resize_decoder_activations(Eigen::Index n) {
    d0_.resize(n), d2_.resize(n), c0_.resize(n), c1_.resize(n), c3_.resize(n), c4_.resize(n);
  }

  void encode_raw(const float* x, Eigen::Index n, float* code) {
    resize_encoder_activations(n);
    encoder.cnn0.forward(x, a0_.data(), n, A::relu);
    encoder.cnn2.forward(a0_.data(), a2_.data(), n, A::none);
    encoder.cnn3.forward(a2_.data(), a3_.data(), n, A::relu);
    encoder.cnn5.forward(a3_.data(), a5_.data(), n, A::relu);
    encoder.lin0.forward(a5_.data(), e0_.data(), n, A::relu);  // Flatten: the same bytes
    encoder.lin2.forward(e0_.data(), code, n, A::none);
  }

  void decode_raw(const float* code, Eigen::Index n, float* image) {
    resize_decoder_activations(n);
    decoder.lin0.forward(code, d0_.data(), n, A::relu);
    decoder.lin2.forward(d0_.data(), d2_.data(), n, A::relu);
    decoder.conv0.forward(d2_.data(), c0_.data(), n, A::none);  // Unflatten: the same bytes
    decoder.conv1.forward(c0_.data(), c1_.data(), n, A::relu);
    decoder.conv3.forward(c1_.data(), c3_.data(), n, A::none);
    decoder.conv4.forward(c3_.data(), c4_.data(), n, A::relu);
    decoder.conv6.forward(c4_.data(), image, n, A::sigmoid);
  }

  /// Every ReLU's derivative is applied by the backward-data pass of the layer that consumed its
  /// output (mask = that layer's input); Sigmoid's by the MSE gradient.
  void forward_backward_async(const Images& noisy, const Images& clean) {
    const Eigen::Index n = noisy.batch();
    const float* x = noisy.data();
    output_.resize(n);
    dlogits_.resize(n);
    da0_.resize(n), da2_.resize(n), da3_.resize(n), da5_.resize(n), de0_.resize(n), dcode_.resize(n);
    dd0_.resize(n), dd2_.resize(n), dc0_.resize(n), dc1_.resize(n), dc3_.resize(n), dc4_.resize(n);
    code_.resize(n);
    encode_raw(x, n, code_.data());
    decode_raw(code_.data(), n, output_.data());
    kernels::mse_loss_backward<true>(output_.data(), clean.data(), static_cast<long long>(output_.size()),
                                     dlogits_.data(), loss_.data(), loss_.data() + 1, mse_workspace_.data(),
                                     cuda_backend::current_stream());
    decoder.conv6.backward(c4_.data(), dlogits_.data(), n, dc4_.data(), c4_.data());
    decoder.conv4.backward(c3_.data(), dc4_.data(), n, dc3_.data());
    decoder.conv3.backward(c1_.data(), dc3_.data(), n, dc1_.data(), c1_.data());
    decoder.conv1.backward(c0_.data(), dc1_.data(), n, dc0_.data());
    decoder.conv0.backward(d2_.data(), dc0_.data(), n, dd2_.data(), d2_.data());
    decoder.lin2.backward(d0_.data(), dd2_.data(), n, dd0_.data(), d0_.data());
    decoder.lin0.backward(code_.data(), dd0_.data(), n, dcode_.data(), nullptr);
    encoder.lin2.backward(e0_.data(), dcode_.data(), n, de0_.data(), e0_.data());
    encoder.lin0.backward(a5_.data(), de0_.data(), n, da5_.data(), a5_.data());
    encoder.cnn5.backward(a3_.data(), da5_.data(), n, da3_.data(), a3_.data());
    encoder.cnn3.backward(a2_.data(), da3_.data(), n, da2_.data());
    encoder.cnn2.backward(a0_.data(), da2_.data(), n, da0_.data(), a0_.data());
    encoder.cnn0.backward(x, da0_.data(), n, nullptr, nullptr);
  }

  CudaAdam optimizer_;
  bool training_ = true;
  cuda_backend::DeviceBuffer<double> loss_;           // [0] last loss, [1] accumulator
  cuda_backend::DeviceBuffer<double> mse_workspace_;  // per-block partials
  // Activations (after the fused activation) and their gradients (before it).
  Tensor<Shape<8, 14, 14>, cuda> a0_, da0_;
  Tensor<Shape<16, 7, 7>, cuda> a2_, da2_, a3_, da3_;
  Tensor<Shape<288>, cuda> a5_, da5_;
  Tensor<Shape<128>, cuda> e0_, de0_, d0_, dd0_;
  Tensor<Shape<288>, cuda> d2_, dd2_;
  Tensor<Shape<16, 7, 7>, cuda> c0_, dc0_, c1_, dc1_;
  Tensor<Shape<8, 14, 14>, cuda> c3_, dc3_, c4_, dc4_;
  Codes code_, dcode_, code_in_;
  Images output_, dlogits_, host_in_, host_target_;
};

}  // namespace dae
