// One of two .cu files of one program that both include dae's CUDA backend: before the
// non-template kernels were made `static`, the second definition of each failed to link
// (multiple definition of reduce_partials_kernel, relu_backward_kernel, ...). The program runs
// ReLU forward and backward from each file and checks both.
#include <cstdio>
#include <vector>

#include "dae/autoencoder.hpp"

bool relu_round_trip_b();  // two_units_b.cu

namespace {
bool relu_round_trip_a() {
  using namespace dae;
  std::vector<float> host{-2.0f, -0.5f, 0.0f, 0.5f, 2.0f}, out(host.size());
  cuda_backend::DeviceBuffer<float> x(host.size()), y(host.size());
  cuda_backend::copy_to_device(x.data(), host.data(), host.size());
  kernels::relu_forward(x.data(), y.data(), static_cast<long long>(host.size()), cuda_backend::current_stream());
  kernels::relu_backward(y.data(), x.data(), y.data(), static_cast<long long>(host.size()), cuda_backend::current_stream());
  cuda_backend::copy_to_host(out.data(), y.data(), out.size());
  return out == std::vector<float>{0.0f, 0.0f, 0.0f, 0.5f, 2.0f};
}
}  // namespace

int main() {
  if (const auto reason = dae::cuda_backend::device_unavailable_reason()) {
    std::printf("SKIPPED: no usable CUDA device (%s)\n", reason->c_str());
    return 77;
  }
  const bool a = relu_round_trip_a(), b = relu_round_trip_b();
  std::printf("two translation units: a %s, b %s\n", a ? "ok" : "WRONG", b ? "ok" : "WRONG");
  return a && b ? 0 : 1;
}
