// The geometry of a k x k, stride s, padding p window sliding over a (C, H, W) image, every extent
// a compile-time constant: the one description of a convolution's shape that the CPU kernels
// (conv.hpp) and the layers share. A transposed convolution uses the geometry of the forward
// convolution it is the adjoint of, seen over its output image.
#pragma once

namespace dae::cpu_ops {

/// Patch geometry of a k x k, stride s, padding p window over a (Channels, Height, Width) image.
template <int Channels, int Height, int Width, int Kernel, int Stride, int Padding>
struct Patches {
  static constexpr int out_height = (Height + 2 * Padding - Kernel) / Stride + 1;
  static constexpr int out_width = (Width + 2 * Padding - Kernel) / Stride + 1;
  static constexpr int channels = Channels;
  static constexpr int height = Height;
  static constexpr int width = Width;
  static constexpr int kernel = Kernel;
  static constexpr int stride = Stride;
  static constexpr int padding = Padding;
  static constexpr int input_size = Channels * Height * Width;  ///< scalars of one image
  static constexpr int rows = out_height * out_width;           ///< output positions
  static constexpr int cols = Channels * Kernel * Kernel;       ///< taps
  static_assert(out_height > 0 && out_width > 0, "dae::Patches: the kernel does not fit the image");
};

}  // namespace dae::cpu_ops
