// The Catch2 runner of the device tests. Before running anything it asks the CUDA runtime for a
// usable device; when there is none it says why and exits with 77, which CTest turns into
// "skipped" (SKIP_RETURN_CODE 77). A machine without a GPU therefore never reports these tests
// as passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "dae/backend/cuda/memory.hpp"

int main(int argc, char* argv[]) {
  if (const auto reason = dae::cuda_backend::device_unavailable_reason()) {
    std::printf("SKIPPED: no usable CUDA device (%s)\n", reason->c_str());
    return 77;
  }
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) == cudaSuccess)
    std::printf("device 0: %s (sm_%d%d, %d SMs)\n", properties.name, properties.major, properties.minor,
                properties.multiProcessorCount);
  return Catch::Session().run(argc, argv);
}
