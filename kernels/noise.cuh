// Batches on the GPU: gathering images of a dataset that stays on the device (uint8 or float) into
// a float batch, and the input noise of the denoising task,
//
//   noisy[n][p] = clamp(clean[n][p] + stddev * normal_at(seed, stream, id(n) * Size + p), 0, 1)
//   (one fused multiply-add),
//
// where id(n) is the dataset index of the batch's n-th image (or first_id + n) and `stream`
// selects the epoch (or any other use). normal_at is dae's counter-based Philox generator
// (rng.hpp), so the noise of a pixel depends only on (seed, stream, image, pixel): not on batching,
// launch shape or backend. `noisy_pixel` is the one formula, used by the kernel and callable from
// CPU code, so a CPU run that draws its noise through it sees exactly the GPU's noisy images.
#pragma once

#include <cstdint>

#include "common.cuh"
#include "dae/rng.hpp"
#include "dae/rounding.hpp"

namespace dae::kernels {

/// clamp(clean + stddev * N(0,1)[seed, stream, index], 0, 1), one rounding (a fused multiply-add):
/// data::noisy_value's formula, so the CPU's noisy images are these bit for bit.
DAE_HOST_DEVICE inline float noisy_pixel(float clean, float stddev, std::uint64_t seed, std::uint64_t stream,
                                         std::uint64_t index) {
  const float value = fma_rn(stddev, normal_at(seed, stream, index), clean);
  return value < 0.0f ? 0.0f : (value > 1.0f ? 1.0f : value);
}

/// A stored pixel as float in [0, 1]: uint8 / 255.0f (bit-identical to ToTensor), float as is.
DAE_HOST_DEVICE inline float pixel_to_float(std::uint8_t v) { return static_cast<float>(v) / 255.0f; }
DAE_HOST_DEVICE inline float pixel_to_float(float v) { return v; }

#if defined(DAE_CUDA_KERNELS)

/// out[n] = images[ids[n]] converted to float, Size pixels per image.
template <int Size, class Pixel>
__global__ void __launch_bounds__(kThreads)
    gather_images_forward_kernel(const Pixel* __restrict__ images,  // (dataset, Size)
                                 const std::int32_t* __restrict__ ids, float* __restrict__ out,  // (N, Size)
                                 long long batch) {
  const long long total = batch * Size;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long n = i / Size;
    out[i] = pixel_to_float(images[static_cast<long long>(ids[n]) * Size + (i - n * Size)]);
  }
}

/// noisy = clamp(clean + stddev * noise, 0, 1); ids may be null (then id(n) = first_id + n).
template <int Size>
__global__ void __launch_bounds__(kThreads)
    noise_forward_kernel(const float* __restrict__ clean, float* __restrict__ noisy, long long batch,
                         const std::int32_t* __restrict__ ids, std::uint64_t first_id, float stddev,
                         std::uint64_t seed, std::uint64_t stream) {
  const long long total = batch * Size;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long n = i / Size;
    const std::uint64_t id = ids != nullptr ? static_cast<std::uint64_t>(ids[n]) : first_id + n;
    noisy[i] = noisy_pixel(clean[i], stddev, seed, stream, id * Size + static_cast<std::uint64_t>(i - n * Size));
  }
}

/// out = images[ids] as float. `ids` and `images` are device pointers.
template <int Size, class Pixel>
void gather_images_forward(const Pixel* images, const std::int32_t* ids, float* out, long long batch,
                           cudaStream_t stream) {
  if (batch == 0) return;
  cuda_backend::launch("gather_images_forward_kernel", gather_images_forward_kernel<Size, Pixel>,
                       {grid_size(batch * Size), kThreads, stream}, images, ids, out, batch);
}

/// noisy = the noisy version of clean (see the file comment); `ids` may be null.
template <int Size>
void noise_forward(const float* clean, float* noisy, long long batch, const std::int32_t* ids, std::uint64_t first_id,
                   float stddev, std::uint64_t seed, std::uint64_t stream_id, cudaStream_t stream) {
  if (batch == 0) return;
  cuda_backend::launch("noise_forward_kernel", noise_forward_kernel<Size>,
                       {grid_size(batch * Size), kThreads, stream}, clean, noisy, batch, ids,
                       first_id, stddev, seed, stream_id);
}

#endif  // DAE_CUDA_KERNELS

}  // namespace dae::kernels
