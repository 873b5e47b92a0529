// The model commands of dae_mnist on the GPU: pipeline.hpp instantiated with
// dae::Autoencoder<4, dae::cuda>. Built (by nvcc) only with the CUDA backend; main.cpp parses the
// command line (CLI11 stays out of nvcc's way) and calls this for --device cuda. The code is the
// CPU path's own; the training set is uploaded once (dae::ResidentImages<S, cuda>,
// backend/cuda/data.cuh) and its batches and their noise are made on the device.
#include "dae/autoencoder.hpp"
#include "dae/backend/cuda/data.cuh"
#include "dae/backend/cuda/runtime.hpp"

#include "pipeline.hpp"

namespace dae_mnist {

int cuda_model_command(const Command& command) {
  int devices = 0;
  if (const cudaError_t status = cudaGetDeviceCount(&devices); status != cudaSuccess || devices == 0) {
    throw dae::Error(std::string("--device cuda: no usable CUDA device (") +
                     (status != cudaSuccess ? cudaGetErrorString(status) : "none found") + ")");
  }
  return model_command<dae::Autoencoder<4, dae::cuda>>(command);
}

}  // namespace dae_mnist
