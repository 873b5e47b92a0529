// Every backend's ops, for the layers (layers/*.hpp), which are written once and call them by
// name with the backend tag as first argument: conv2d_forward(Backend{}, ...) resolves to
// backend/cpu/conv2d.hpp or backend/cuda/conv2d.cuh. The CUDA half is available in translation
// units compiled by nvcc, or built by the host compiler on the CUDA emulation (a testing tool).
#pragma once

#include "dae/backend/cpu/activations.hpp"
#include "dae/backend/cpu/adam.hpp"
#include "dae/backend/cpu/batch_norm2d.hpp"
#include "dae/backend/cpu/conv2d.hpp"
#include "dae/backend/cpu/conv_transpose2d.hpp"
#include "dae/backend/cpu/cross_entropy.hpp"
#include "dae/backend/cpu/linear.hpp"
#include "dae/backend/cpu/loss_state.hpp"
#include "dae/backend/cpu/mse.hpp"
#include "dae/backend/cpu/state.hpp"
#include "dae/labels.hpp"
#include "dae/tensor.hpp"

#if defined(__CUDACC__) || defined(DAE_CUDA_EMULATION)
#include "dae/backend/cuda/activations.cuh"
#include "dae/backend/cuda/adam.cuh"
#include "dae/backend/cuda/batch_norm2d.cuh"
#include "dae/backend/cuda/conv2d.cuh"
#include "dae/backend/cuda/conv_transpose2d.cuh"
#include "dae/backend/cuda/cross_entropy.cuh"
#include "dae/backend/cuda/linear.cuh"
#include "dae/backend/cuda/loss_state.cuh"
#include "dae/backend/cuda/mse.cuh"
#include "dae/backend/cuda/state.hpp"
#include "dae/backend/cuda/tensor.hpp"
#endif
