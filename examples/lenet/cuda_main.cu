// lenet on CUDA: the same source as the CPU program (lenet.hpp) with Backend = dae::cuda. Exits 77
// (CTest: skipped) without a usable device; on the CUDA emulation it always runs.
#include <cstdio>

#include "dae/backend/cuda/memory.hpp"
#include "lenet.hpp"

int main(int argc, char** argv) {
  if (const auto reason = dae::cuda_backend::device_unavailable_reason()) {
    std::printf("skipped: %s\n", reason->c_str());
    return 77;
  }
  return lenet::run<dae::cuda>(argc, argv, "lenet_cuda", "cuda");
}
