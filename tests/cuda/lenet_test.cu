// A user's own network on both backends from one source: examples/lenet's LeNet with
// Backend = dae::cuda against Backend = dae::cpu. The same seed gives the same initial state; one
// forward/backward on the same batch gives the same logits, loss and parameter gradients (the CPU
// backend's gradients are the ones checked by finite differences and against PyTorch); three Adam
// steps later the parameters still agree. Built by nvcc (exits 77, skipped, without a device:
// cuda_main.cpp), or by the host compiler on the CUDA emulation, which runs it in CI.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "dae/loss.hpp"
#include "dae/optim/adam.hpp"
#include "examples/lenet/lenet_network.hpp"
#include "support/require_close.hpp"

using namespace dae;
using dae::test::mean_scaled_atol;
using dae::test::require_close;

namespace {

/// name -> host values and gradients of every parameter (downloaded on CUDA).
struct Snapshot {
  std::map<std::string, std::vector<float>> values, grads;
  void parameter(const std::string& name, Parameter<float>& p) {
    values[name].assign(p.value.data(), p.value.data() + p.value.size());
    grads[name].assign(p.grad.data(), p.grad.data() + p.grad.size());
  }
};

template <class Net>
Snapshot snapshot(Net& net) {
  Snapshot s;
  net.visit_state(s);
  return s;
}

void require_same(const std::map<std::string, std::vector<float>>& gpu, const std::map<std::string, std::vector<float>>& cpu,
                  double rtol, const std::string& what) {
  REQUIRE(gpu.size() == cpu.size());
  for (const auto& [name, expected] : cpu) require_close(gpu.at(name), expected, rtol, mean_scaled_atol(expected, rtol), what + " " + name);
}

}  // namespace

TEST_CASE("LeNet trains on CUDA as on the CPU: one source, same gradients and parameters", "[cuda][lenet]") {
  constexpr Eigen::Index kBatch = 19;  // more than two lane blocks, not a multiple of 8
  Rng cpu_rng(7), gpu_rng(7);
  lenet::LeNet<cpu> cpu_net(cpu_rng);
  lenet::LeNet<cuda> gpu_net(gpu_rng);
  REQUIRE(snapshot(gpu_net).values == snapshot(cpu_net).values);  // bit for bit from the seed

  Tensor<lenet::Image> images(kBatch);
  Rng data(8);
  for (Eigen::Index i = 0; i < images.matrix().size(); ++i) images.data()[i] = data.uniform();
  std::vector<std::int32_t> host_labels;
  for (Eigen::Index n = 0; n < kBatch; ++n) host_labels.push_back(static_cast<std::int32_t>(n % lenet::kClasses));
  const Labels<lenet::kClasses> cpu_labels(host_labels);
  const Labels<lenet::kClasses, cuda> gpu_labels(host_labels);
  const Tensor<lenet::Image, cuda> gpu_images(images);

  Adam<cpu> cpu_adam;
  Adam<cuda> gpu_adam;
  cpu_adam.attach(parameters(cpu_net));
  gpu_adam.attach(parameters(gpu_net));
  Tensor<lenet::Logits> cpu_logits, cpu_dlogits;
  Tensor<lenet::Logits, cuda> gpu_logits, gpu_dlogits;
  for (int step = 0; step < 3; ++step) {
    cpu_adam.zero_grad();
    gpu_adam.zero_grad();
    cpu_net.forward(images, cpu_logits);
    gpu_net.forward(gpu_images, gpu_logits);
    const double cpu_loss = cross_entropy_loss(cpu_logits, cpu_labels, cpu_dlogits);
    const double gpu_loss = cross_entropy_loss(gpu_logits, gpu_labels, gpu_dlogits);
    INFO("step " << step);
    CHECK(gpu_loss == Approx(cpu_loss).epsilon(1e-5));
    const auto gpu_logits_host = gpu_logits.to_host();
    require_close(gpu_logits_host.matrix(), cpu_logits.matrix(), 1e-4, 1e-5, "logits");
    cpu_net.backward(images, cpu_dlogits);
    gpu_net.backward(gpu_images, gpu_dlogits);
    if (step == 0) require_same(snapshot(gpu_net).grads, snapshot(cpu_net).grads, 1e-4, "gradient");
    cpu_adam.step();
    gpu_adam.step();
  }
  // Adam divides each gradient by its own running magnitude, so where a gradient is as small as the
  // two backends' rounding difference, the steps differ by a fraction of lr (1e-3): the first run
  // found 2 of 200,704 weights 1e-5 apart. A tenth of one step's lr still catches a wrong update.
  const auto gpu_values = snapshot(gpu_net).values, cpu_values = snapshot(cpu_net).values;
  for (const auto& [name, expected] : cpu_values)
    require_close(gpu_values.at(name), expected, 1e-4, 1e-4, "after three Adam steps, " + name);
}
