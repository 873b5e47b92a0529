// dae::CudaAdam: Adam for models on the CUDA backend, with dae::Adam's semantics and state names.
// Moments live on the device next to the parameters; one launch updates every parameter
// (kernels/adam.cuh) and one launch zeroes every gradient. The step count and the bias
// corrections are host values, as on the CPU. visit_state exposes the moments under the CPU
// optimiser's names ("<param>.exp_avg", "<param>.exp_avg_sq", "step"), through host mirrors, so a
// resumable training state moves between CPU and GPU runs as the model checkpoint does.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dae/backend/cuda/parameter.hpp"
#include "dae/error.hpp"
#include "dae/kernels/adam.cuh"
#include "dae/optim/adam.hpp"

namespace dae {

/// Adam over device parameters (attached once, in state-dict order).
class CudaAdam {
 public:
  /// One attached parameter: its state-dict name, host mirror and device storage.
  struct Entry {
    std::string name;
    Parameter<float>* host;
    cuda_backend::DeviceParameter* device;
  };

  explicit CudaAdam(AdamOptions options = {}) : options_(options) {}

  /// Registers the parameters to optimise and zeroes the moments and the step counter.
  /// @throws dae::Error when there are more than kernels::TensorList::kMaxTensors parameters
  void attach(std::vector<Entry> entries) {
    if (entries.size() > static_cast<std::size_t>(kernels::TensorList::kMaxTensors))
      throw Error("CudaAdam: " + std::to_string(entries.size()) + " parameters, at most " +
                  std::to_string(kernels::TensorList::kMaxTensors) + " supported");
    entries_ = std::move(entries);
    exp_avg_.clear();
    exp_avg_sq_.clear();
    exp_avg_host_.clear();
    exp_avg_sq_host_.clear();
    list_ = {};
    for (auto& entry : entries_) {
      const std::size_t size = entry.device->size;
      exp_avg_.emplace_back(size);
      exp_avg_sq_.emplace_back(size);
      const cudaStream_t stream = cuda_backend::current_stream();
      DAE_CUDA_CHECK(cudaMemsetAsync(exp_avg_.back().data(), 0, size * sizeof(float), stream));
      DAE_CUDA_CHECK(cudaMemsetAsync(exp_avg_sq_.back().data(), 0, size * sizeof(float), stream));
      exp_avg_host_.push_back(Buffer<float>{Buffer<float>::Vector::Zero(static_cast<Eigen::Index>(size)), entry.host->shape});
      exp_avg_sq_host_.push_back(
          Buffer<float>{Buffer<float>::Vector::Zero(static_cast<Eigen::Index>(size)), entry.host->shape});
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      list_.value[i] = entries_[i].device->value.data();
      list_.grad[i] = entries_[i].device->grad.data();
      list_.exp_avg[i] = exp_avg_[i].data();
      list_.exp_avg_sq[i] = exp_avg_sq_[i].data();
      list_.size[i] = static_cast<long long>(entries_[i].device->size);
    }
    list_.count = static_cast<int>(entries_.size());
    step_ = 0;
  }

  [[nodiscard]] const AdamOptions& options() const { return options_; }
  void set_options(const AdamOptions& options) { options_ = options; }
  [[nodiscard]] std::int64_t step_count() const { return step_; }

  /// Sets every attached gradient to zero (one launch on the current stream).
  void zero_grad() { kernels::zero_grad(list_, cuda_backend::current_stream()); }

  /// One update of every attached parameter from its current gradient (one launch).
  void step() {
    ++step_;
    const double bias_correction1 = 1.0 - std::pow(options_.beta1, static_cast<double>(step_));
    const double bias_correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(step_));
    kernels::AdamStep s{};
    s.beta1 = static_cast<float>(options_.beta1);
    s.beta2 = static_cast<float>(options_.beta2);
    s.one_minus_beta1 = static_cast<float>(1.0 - options_.beta1);
    s.one_minus_beta2 = static_cast<float>(1.0 - options_.beta2);
    s.step_size = static_cast<float>(options_.lr / bias_correction1);
    s.bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
    s.eps = static_cast<float>(options_.eps);
    kernels::adam_step(list_, s, cuda_backend::current_stream());
  }

  /// Visits the moments and the step counter under dae::Adam's names (through host mirrors).
  template <class Visitor>
  void visit_state(Visitor& visitor) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      cuda_backend::download(exp_avg_host_[i], exp_avg_[i]);
      cuda_backend::download(exp_avg_sq_host_[i], exp_avg_sq_[i]);
      visitor.buffer(entries_[i].name + ".exp_avg", exp_avg_host_[i]);
      visitor.buffer(entries_[i].name + ".exp_avg_sq", exp_avg_sq_host_[i]);
      cuda_backend::upload(exp_avg_host_[i], exp_avg_[i]);
      cuda_backend::upload(exp_avg_sq_host_[i], exp_avg_sq_[i]);
    }
    visitor.counter("step", step_);
  }

 private:
  AdamOptions options_;
  std::vector<Entry> entries_;
  std::vector<cuda_backend::DeviceBuffer<float>> exp_avg_, exp_avg_sq_;
  std::vector<Buffer<float>> exp_avg_host_, exp_avg_sq_host_;
  kernels::TensorList list_{};
  std::int64_t step_ = 0;
};

}  // namespace dae
