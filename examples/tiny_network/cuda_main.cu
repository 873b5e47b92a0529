// tiny_network on CUDA: the same source as the CPU run (tiny_network.hpp) with Backend = dae::cuda.
// Exits 77 (CTest: skipped) without a usable device; on the CUDA emulation it always runs.
#include <cstdio>

#include "dae/backend/cuda/memory.hpp"
#include "tiny_network.hpp"

int main() {
  if (const auto reason = dae::cuda_backend::device_unavailable_reason()) {
    std::printf("skipped: %s\n", reason->c_str());
    return 77;
  }
  return tiny_network::train<dae::cuda>("cuda", 200);
}
