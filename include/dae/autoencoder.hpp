// dae::Autoencoder<Latent, Backend>: the reference convolutional denoising autoencoder, the
// library's entry point, on the CPU or (compiled by nvcc) on CUDA. It owns its encoder, decoder and
// Adam optimiser; a training step is forward, MSE,
// backward and one Adam update. Checkpoints are safetensors with PyTorch's state_dict names.
//
//   #include <dae/autoencoder.hpp>
//   dae::Autoencoder<4> model(/*seed=*/0);
//   double loss = model.train_step(noisy, clean);
//   model.save("model.safetensors");
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "dae/checkpoint.hpp"
#include "dae/decoder.hpp"
#include "dae/encoder.hpp"
#include "dae/loss.hpp"
#include "dae/optim/adam.hpp"

namespace dae {

/// The reference denoising autoencoder (see docs/DESIGN.md) with a Latent-dimensional code, on any
/// backend: one definition, so Autoencoder<4, cuda>(seed) starts from exactly the parameters of
/// Autoencoder<4>(seed), and a checkpoint moves freely between the two.
/// On CUDA every call is issued on the backend's current stream (backend/cuda/memory.hpp) and
/// only the ones that return a number wait for the device. Not copyable: the optimiser refers to
/// the parameters in place.
/// @tparam Latent   code dimension (4 in the reference; 2, 8, 16 work too)
/// @tparam Backend  dae::cpu by default; dae::cuda in translation units compiled by nvcc
template <int Latent, class Backend = cpu>
class Autoencoder {
 public:
  using backend = Backend;
  using scalar = typename Backend::scalar;
  using image_shape = Shape<1, 28, 28>;
  using code_shape = Shape<Latent>;
  using Images = Tensor<image_shape, Backend>;
  using Codes = Tensor<code_shape, Backend>;
  using HostImages = Tensor<image_shape, cpu>;
  using HostCodes = Tensor<code_shape, cpu>;
  static constexpr int latent = Latent;
  static constexpr bool on_host = is_cpu_backend_v<Backend>;

  Encoder<Latent, Backend> encoder;
  Decoder<Latent, Backend> decoder;
  DAE_CHECK_JUNCTION(encoder, decoder);

  /// A model initialised as PyTorch does by default, from `seed`, in training mode.
  explicit Autoencoder(std::uint64_t seed = 0, AdamOptions options = {}) : optimizer_(options) {
    reset_parameters(seed);
  }
  Autoencoder(const Autoencoder&) = delete;
  Autoencoder& operator=(const Autoencoder&) = delete;

  /// Re-initialises every parameter and buffer from `seed` and resets the optimiser.
  void reset_parameters(std::uint64_t seed) {
    Rng rng(seed, /*stream=*/0x1417);
    encoder.reset_parameters(rng);
    decoder.reset_parameters(rng);
    optimizer_.attach(parameters(*this));
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

  /// codes = encoder(images), in the current mode.
  void encode(const Images& images, Codes& codes) { encoder.forward(images, codes); }
  /// images = decoder(codes), in the current mode.
  void decode(const Codes& codes, Images& images) { decoder.forward(codes, images); }
  /// out = decoder(encoder(images)), in the current mode.
  void reconstruct(const Images& images, Images& out) {
    encoder.forward(images, code_);
    decoder.forward(code_, out);
  }

  /// MSE between reconstruct(noisy) and clean, in the current mode, without touching gradients.
  double loss(const Images& noisy, const Images& clean) {
    reconstruct(noisy, output_);
    return mse_loss<image_shape::size>(Backend{}, output_.data(), clean.data(), output_.batch(), nullptr, loss_state_);
  }

  /// One training step: forward on `noisy`, MSE against `clean`, backward, one Adam update.
  /// Runs in the current mode (call train() first, as with PyTorch). Returns the loss.
  /// @pre noisy.batch() == clean.batch() > 0
  double train_step(const Images& noisy, const Images& clean) {
    optimizer_.zero_grad();
    const double value = forward_backward(noisy, clean);
    optimizer_.step();
    return value;
  }

  /// As train_step, but returns nothing and (on CUDA) does not wait: the loss is added to a sum
  /// that take_loss_sum() reads, once per epoch.
  void train_step_async(const Images& noisy, const Images& clean) {
    optimizer_.zero_grad();
    forward_backward_impl(noisy, clean, /*accumulate=*/true);
    optimizer_.step();
  }
  /// The sum of the losses of the train_step_async calls since the last call; resets it.
  double take_loss_sum() { return dae::take_loss_sum(Backend{}, loss_state_); }

  /// Forward, loss and backward without the update: parameter gradients hold dL/dparameter after.
  /// @pre gradients were zeroed (optimizer().zero_grad()), since backward accumulates
  double forward_backward(const Images& noisy, const Images& clean) {
    return forward_backward_impl(noisy, clean, /*accumulate=*/false);
  }

  /// Host-batch forms for a device model: upload, run, download. Slower than device-resident
  /// batches; they let code written for the CPU model run unchanged on the GPU.
  void encode(const HostImages& images, HostCodes& codes) requires(!on_host) {
    host_images_.upload(images);
    encode(host_images_, code_);
    code_.download(codes);
  }
  void decode(const HostCodes& codes, HostImages& images) requires(!on_host) {
    host_codes_.upload(codes);
    decode(host_codes_, output_);
    output_.download(images);
  }
  void reconstruct(const HostImages& images, HostImages& out) requires(!on_host) {
    host_images_.upload(images);
    reconstruct(host_images_, output_);
    output_.download(out);
  }
  double train_step(const HostImages& noisy, const HostImages& clean) requires(!on_host) {
    host_images_.upload(noisy);
    host_targets_.upload(clean);
    return train_step(host_images_, host_targets_);
  }
  double loss(const HostImages& noisy, const HostImages& clean) requires(!on_host) {
    host_images_.upload(noisy);
    host_targets_.upload(clean);
    return loss(host_images_, host_targets_);
  }

  /// The output of the last forward pass (train_step, loss, reconstruct into the model's buffer).
  [[nodiscard]] const Images& last_output() const { return output_; }

  Adam<Backend>& optimizer() { return optimizer_; }

  /// Waits for the work issued so far (CUDA: the current stream; the CPU has nothing queued).
  void synchronize() const { dae::synchronize(Backend{}); }

  /// Visits parameters, buffers and counters under their PyTorch state_dict names.
  template <class Visitor>
  void visit_state(Visitor& visitor) {
    encoder.visit_state("encoder", visitor);
    decoder.visit_state("decoder", visitor);
  }

  /// Writes the 35 state_dict tensors as safetensors, atomically.
  /// @throws dae::Error naming the path when it cannot be written
  void save(const std::filesystem::path& path) { save_state(*this, path); }

  /// Reads a checkpoint written by save() (on either backend) or by PyTorch. Strict: every tensor
  /// must be present with its dtype and shape, and nothing else; on any failure the model is left
  /// untouched.
  /// @throws dae::Error naming the file and the tensor or field at fault
  void load(const std::filesystem::path& path) {
    load_state(*this, path);
    synchronize();
  }

  /// Reads a checkpoint held in memory (the bytes of a file load() would read); as strict, and
  /// all-or-nothing in the same way.
  /// @param bytes the whole safetensors file.
  /// @param source its name, for error messages.
  /// @throws dae::Error naming `source` and the tensor or field at fault
  void load(std::span<const std::byte> bytes, const std::string& source) {
    load_state(*this, bytes, source);
    synchronize();
  }

 private:
  double forward_backward_impl(const Images& noisy, const Images& clean, bool accumulate) {
    encoder.forward(noisy, code_);
    decoder.forward(code_, output_);
    doutput_.resize(output_.batch());
    double value = 0;
    if (accumulate)
      mse_loss_accumulate<image_shape::size>(Backend{}, output_.data(), clean.data(), output_.batch(),
                                             doutput_.data(), loss_state_);
    else
      value = mse_loss<image_shape::size>(Backend{}, output_.data(), clean.data(), output_.batch(), doutput_.data(),
                                          loss_state_);
    decoder.backward(code_, output_, doutput_, &dcode_);
    encoder.backward(noisy, dcode_);
    return value;
  }

  Adam<Backend> optimizer_;
  bool training_ = true;
  Codes code_, dcode_;
  Images output_, doutput_;
  scratch_t<Backend, double> loss_state_;  // the backend's loss: last value, running sum
  // Device models only: the staging copies of host batches.
  std::conditional_t<on_host, std::monostate, Images> host_images_, host_targets_;
  std::conditional_t<on_host, std::monostate, Codes> host_codes_;
};

}  // namespace dae
