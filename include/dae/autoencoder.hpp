// dae::Autoencoder<Latent>: the reference convolutional denoising autoencoder, the library's entry
// point. It owns its encoder, decoder and Adam optimiser; a training step is forward, MSE,
// backward and one Adam update. Checkpoints are safetensors with PyTorch's state_dict names.
//
//   #include <dae/autoencoder.hpp>
//   dae::Autoencoder<4> model(/*seed=*/0);
//   double loss = model.train_step(noisy, clean);
//   model.save("model.safetensors");
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "dae/checkpoint.hpp"
#include "dae/decoder.hpp"
#include "dae/encoder.hpp"
#include "dae/loss.hpp"
#include "dae/optim/adam.hpp"

namespace dae {

/// The reference denoising autoencoder (see DESIGN.md) with a Latent-dimensional code.
/// Not copyable: the optimiser refers to the parameters in place.
/// @tparam Latent   code dimension (4 in the reference; 2, 8, 16 work too)
/// @tparam Backend  dae::cpu by default
template <int Latent, class Backend = cpu>
class Autoencoder {
 public:
  using scalar = typename Backend::scalar;
  using image_shape = Shape<1, 28, 28>;
  using code_shape = Shape<Latent>;
  using Images = Tensor<image_shape, Backend>;
  using Codes = Tensor<code_shape, Backend>;
  static constexpr int latent = Latent;

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
    std::vector<std::pair<std::string, Parameter<scalar>*>> parameters;
    struct Collect {
      std::vector<std::pair<std::string, Parameter<scalar>*>>& out;
      void parameter(const std::string& name, Parameter<scalar>& p) { out.emplace_back(name, &p); }
      void buffer(const std::string&, Buffer<scalar>&) {}
      void counter(const std::string&, std::int64_t&) {}
    } collect{parameters};
    visit_state(collect);
    optimizer_.attach(std::move(parameters));
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
    return mse_loss(output_, clean);
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

  /// Forward, loss and backward without the update: parameter gradients hold dL/dparameter after.
  /// @pre gradients were zeroed (optimizer().zero_grad()), since backward accumulates
  double forward_backward(const Images& noisy, const Images& clean) {
    encoder.forward(noisy, code_);
    decoder.forward(code_, output_);
    const double value = mse_loss(output_, clean, doutput_);
    decoder.backward(code_, output_, doutput_, &dcode_);
    encoder.backward(noisy, dcode_);
    return value;
  }

  /// The output of the last forward pass (train_step, loss, reconstruct).
  [[nodiscard]] const Images& last_output() const { return output_; }

  Adam<scalar>& optimizer() { return optimizer_; }

  /// Visits parameters, buffers and counters under their PyTorch state_dict names.
  template <class Visitor>
  void visit_state(Visitor& visitor) {
    encoder.visit_state("encoder", visitor);
    decoder.visit_state("decoder", visitor);
  }

  /// Writes the 35 state_dict tensors as safetensors, atomically.
  /// @throws dae::Error naming the path when it cannot be written
  void save(const std::filesystem::path& path) { save_state(*this, path); }

  /// Reads a checkpoint written by save() or by PyTorch. Strict: every tensor must be present with
  /// its dtype and shape, and nothing else; on any failure the model is left untouched.
  /// @throws dae::Error naming the file and the tensor or field at fault
  void load(const std::filesystem::path& path) { load_state(*this, path); }

 private:
  Adam<scalar> optimizer_;
  bool training_ = true;
  Codes code_, dcode_;
  Images output_, doutput_;
};

}  // namespace dae

// In a translation unit compiled by nvcc (or on the CUDA emulation), Autoencoder<Latent, dae::cuda>
// is available too.
#if defined(__CUDACC__) || defined(DAE_CUDA_EMULATION)
#include "dae/backend/cuda/autoencoder.cuh"
#endif
