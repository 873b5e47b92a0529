// The consumer's own network, written once for every backend: what a user builds from dae's
// public layers. It learns the mean brightness of 6x6 images (Conv2d + ReLU, Flatten, Linear) with
// dae::Adam and dae::mse_loss, on the CPU and, when this file is compiled with the CUDA backend
// (nvcc) or on the CUDA emulation (DAE_CUDA_EMULATION), on CUDA too from the same template, and
// checks that both learn and that the two backends follow the same losses. Exits non-zero, with
// one line saying why, on any failure.
#include <dae/layers/conv2d.hpp>
#include <dae/layers/linear.hpp>
#include <dae/layers/reshape.hpp>
#include <dae/loss.hpp>
#include <dae/optim/adam.hpp>
#include <dae/rng.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <vector>

namespace {

using Image = dae::Shape<1, 6, 6>;
using Brightness = dae::Shape<1>;

template <class Backend>
struct MeanBrightness {
  using backend = Backend;
  dae::Conv2d<Image, 4, 3, 1, 1, Backend> conv;                              // (1,6,6) -> (4,6,6), + ReLU
  dae::Flatten<typename decltype(conv)::output_shape, Backend> flatten;      // -> (144)
  dae::Linear<decltype(flatten)::output_shape::size, 1, Backend> readout;    // -> (1)
  DAE_CHECK_JUNCTION(conv, flatten);
  DAE_CHECK_JUNCTION(flatten, readout);

  dae::Tensor<dae::Shape<4, 6, 6>, Backend> a, da;
  dae::Tensor<dae::Shape<144>, Backend> flat, dflat;

  void forward(const dae::Tensor<Image, Backend>& x, dae::Tensor<Brightness, Backend>& y) {
    conv.forward(x, a, dae::Activation::relu);
    flatten.forward(a, flat);
    readout.forward(flat, y);
  }
  void backward(const dae::Tensor<Image, Backend>& x, const dae::Tensor<Brightness, Backend>& dy) {
    readout.backward(flat, dy, &dflat, dae::Activation::relu);
    flatten.backward(dflat, da);
    conv.backward(x, da, nullptr);
  }
  template <class Visitor>
  void visit_state(Visitor& visitor) {
    conv.visit_state("conv", visitor);
    readout.visit_state("readout", visitor);
  }
};

/// The losses of 60 training steps on batches of 16, from seed 5.
template <class Backend>
std::vector<double> train() {
  dae::Rng rng(5);
  MeanBrightness<Backend> net;
  net.conv.reset_parameters(rng);
  net.readout.reset_parameters(rng);
  dae::Adam<Backend> adam(dae::AdamOptions{.lr = 1e-2});
  adam.attach(dae::parameters(net));
  std::vector<double> losses;
  dae::Tensor<Image> host_x(16);
  dae::Tensor<Brightness> host_y(16);
  for (int step = 0; step < 60; ++step) {
    for (Eigen::Index n = 0; n < 16; ++n) {
      double sum = 0;
      for (int i = 0; i < Image::size; ++i) sum += host_x.sample(n)[i] = rng.uniform();
      host_y.sample(n)[0] = static_cast<float>(sum / Image::size);
    }
    dae::Tensor<Image, Backend> x;
    dae::Tensor<Brightness, Backend> target, y, dy;
    if constexpr (dae::is_cpu_backend_v<Backend>) {
      x = host_x;
      target = host_y;
    } else {
      x.upload(host_x);
      target.upload(host_y);
    }
    adam.zero_grad();
    net.forward(x, y);
    losses.push_back(dae::mse_loss(y, target, dy));
    net.backward(x, dy);
    adam.step();
  }
  return losses;
}

bool learned(const std::vector<double>& losses, const char* backend) {
  const double first = losses.front(), last = losses.back();
  if (!(last < 0.1 * first)) {
    std::fprintf(stderr, "network: on %s the loss fell from %g only to %g\n", backend, first, last);
    return false;
  }
  std::printf("network on %s: loss %.6f -> %.6f\n", backend, first, last);
  return true;
}

}  // namespace

int main() {
  try {
    const auto on_cpu = train<dae::cpu>();
    if (!learned(on_cpu, "cpu")) return 1;
#if defined(__CUDACC__) || defined(DAE_CUDA_EMULATION)
    const auto on_cuda = train<dae::cuda>();
    if (!learned(on_cuda, "cuda")) return 1;
    for (std::size_t i = 0; i < on_cpu.size(); ++i) {
      if (std::abs(on_cuda[i] - on_cpu[i]) > 1e-4 * on_cpu[i] + 1e-7) {
        std::fprintf(stderr, "network: step %zu: loss %g on cuda, %g on cpu\n", i, on_cuda[i], on_cpu[i]);
        return 1;
      }
    }
    std::printf("network: the same source trained on cpu and cuda, losses agree: ok\n");
#else
    std::printf("network: trained on cpu: ok\n");
#endif
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "network: %s\n", error.what());
    return 1;
  }
}
