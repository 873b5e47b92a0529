// The CUDA runtime API as dae's CUDA backend sees it: the real one (<cuda_runtime.h>) in a normal
// build, or the host emulation of it and of the kernel built-ins in a DAE_CUDA_EMULATION build
// (a testing tool; see emulation/device.hpp). Every file of the backend includes this header
// instead of <cuda_runtime.h>, so that the same sources serve both. DAE_CUDA_KERNELS is defined
// wherever kernels can be compiled: by nvcc, or by the host compiler on the emulation.
#pragma once

#if defined(DAE_CUDA_EMULATION)
#include "dae/backend/cuda/emulation/device.hpp"
#include "dae/backend/cuda/emulation/runtime.hpp"
#else
#include <cuda_runtime.h>
#endif

#if defined(__CUDACC__) || defined(DAE_CUDA_EMULATION)
#define DAE_CUDA_KERNELS 1
#endif
