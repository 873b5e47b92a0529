// im2col and col2im for one sample, with every extent known at compile time.
//
// `gather` lays the receptive fields of an image out as a column-major matrix of
// (OutHeight*OutWidth) rows and (Channels*Kernel*Kernel) columns: column (c, ky, kx) holds, for
// each output position, the input pixel under kernel tap (ky, kx) of channel c, or 0 in the
// padding. A convolution is then one GEMM with the weight viewed as (C*k*k x OutChannels), and
// its result is the output sample in CHW order with no transposition. `scatter_add` is the
// adjoint: it adds such a matrix back onto an image. The transposed convolution uses the same
// pair with the roles of its input and output exchanged.
#pragma once

#include <algorithm>

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

  /// columns(p, (c*k + ky)*k + kx) = image(c, oy*s - p + ky, ox*s - p + kx), or 0 outside.
  template <class T>
  static void gather(const T* image, T* columns) {  // (C,H,W) -> (rows, cols)
    for (int c = 0; c < Channels; ++c) {
      const T* plane = image + c * Height * Width;
      for (int ky = 0; ky < Kernel; ++ky) {
        for (int kx = 0; kx < Kernel; ++kx) {
          T* column = columns + ((c * Kernel + ky) * Kernel + kx) * rows;
          for (int oy = 0; oy < out_height; ++oy) {
            const int iy = oy * Stride - Padding + ky;
            T* row = column + oy * out_width;
            if (iy < 0 || iy >= Height) {
              std::fill(row, row + out_width, T(0));
              continue;
            }
            for (int ox = 0; ox < out_width; ++ox) {
              const int ix = ox * Stride - Padding + kx;
              row[ox] = (ix >= 0 && ix < Width) ? plane[iy * Width + ix] : T(0);
            }
          }
        }
      }
    }
  }

  /// The adjoint of gather: image(c, iy, ix) += every column entry that gather read from there.
  template <class T>
  static void scatter_add(const T* columns, T* image) {  // (rows, cols) -> (C,H,W)
    for (int c = 0; c < Channels; ++c) {
      T* plane = image + c * Height * Width;
      for (int ky = 0; ky < Kernel; ++ky) {
        for (int kx = 0; kx < Kernel; ++kx) {
          const T* column = columns + ((c * Kernel + ky) * Kernel + kx) * rows;
          for (int oy = 0; oy < out_height; ++oy) {
            const int iy = oy * Stride - Padding + ky;
            if (iy < 0 || iy >= Height) continue;
            const T* row = column + oy * out_width;
            for (int ox = 0; ox < out_width; ++ox) {
              const int ix = ox * Stride - Padding + kx;
              if (ix >= 0 && ix < Width) plane[iy * Width + ix] += row[ox];
            }
          }
        }
      }
    }
  }
};

}  // namespace dae::cpu_ops
