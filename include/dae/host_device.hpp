// DAE_HOST_DEVICE marks the functions that one source serves to the CPU and to CUDA kernels (the
// random numbers, the convolution geometry, per-thread kernel arithmetic): __host__ __device__
// under nvcc, nothing for the host compiler (the CUDA emulation included).
#pragma once

#if defined(__CUDACC__)
#define DAE_HOST_DEVICE __host__ __device__
#else
#define DAE_HOST_DEVICE
#endif
