// The geometry of a 2-D convolution with compile-time extents: the one description of a
// convolution's shape that the layers (their output shapes), the CPU backend (backend/cpu/conv.hpp)
// and the CUDA kernels (kernels/conv*.cuh) all use, with the arithmetic of one element of each of
// its three passes (what one GPU thread computes; the CPU tests run it over every coordinate).
// A transposed convolution is the adjoint of the convolution that maps its *output* image to its
// *input* image, so it has that convolution's geometry (ConvTransposeGeometry): its forward pass
// is that convolution's backward-data pass, its backward-data pass is the forward pass, and its
// weight [in, out, k, k] is exactly that convolution's weight [out, in, k, k].
#pragma once

#include "dae/host_device.hpp"

namespace dae {

/// A k x k, stride s, padding p convolution from (InChannels, InHeight, InWidth) to
/// (OutChannels, out_height, out_width); weight (OutChannels, InChannels, k, k) as PyTorch's.
template <int InChannels, int InHeight, int InWidth, int OutChannels, int Kernel, int Stride, int Padding>
struct ConvGeometry {
  static_assert(InChannels > 0 && InHeight > 0 && InWidth > 0 && OutChannels > 0,
                "dae::ConvGeometry: extents must be positive");
  static_assert(Kernel > 0 && Stride > 0 && Padding >= 0,
                "dae::ConvGeometry: kernel and stride positive, padding non-negative");
  static constexpr int C = InChannels, H = InHeight, W = InWidth;
  static constexpr int O = OutChannels, K = Kernel, S = Stride, P = Padding;
  static constexpr int OH = (H + 2 * P - K) / S + 1;
  static constexpr int OW = (W + 2 * P - K) / S + 1;
  static_assert(OH > 0 && OW > 0, "dae::ConvGeometry: the kernel does not fit the image");
  static constexpr int in_plane = H * W;
  static constexpr int out_plane = OH * OW;
  static constexpr int input_size = C * in_plane;    ///< floats of one input sample
  static constexpr int output_size = O * out_plane;  ///< floats of one output sample
  static constexpr int taps = C * K * K;             ///< weights per output channel
  static constexpr int weight_size = O * taps;

  DAE_HOST_DEVICE static constexpr int weight_index(int o, int c, int ky, int kx) {
    return ((o * C + c) * K + ky) * K + kx;
  }
  /// Multiply-adds of one forward pass per sample (each pass of the three costs the same).
  static constexpr long long macs_per_sample = static_cast<long long>(output_size) * taps;

  /// Forward, one output element: sum over (c, ky, kx) of x(c, oy*s-p+ky, ox*s-p+kx) * w(o, c, ky, kx).
  DAE_HOST_DEVICE static float forward_at(const float* x /* (C,H,W) */, const float* w /* (O,C,K,K) */, int o,
                                          int oy, int ox) {
    float sum = 0.0f;
    for (int c = 0; c < C; ++c) {
      for (int ky = 0; ky < K; ++ky) {
        const int iy = oy * S - P + ky;
        if (iy < 0 || iy >= H) continue;
        for (int kx = 0; kx < K; ++kx) {
          const int ix = ox * S - P + kx;
          if (ix < 0 || ix >= W) continue;
          sum += x[(c * H + iy) * W + ix] * w[weight_index(o, c, ky, kx)];
        }
      }
    }
    return sum;
  }

  /// Backward data, one input element: sum over every (o, oy, ox, ky, kx) whose window reads
  /// (c, iy, ix) -- oy*s - p + ky == iy -- of dy(o, oy, ox) * w(o, c, ky, kx).
  DAE_HOST_DEVICE static float backward_data_at(const float* dy /* (O,OH,OW) */, const float* w /* (O,C,K,K) */,
                                                int c, int iy, int ix) {
    float sum = 0.0f;
    for (int ky = 0; ky < K; ++ky) {
      const int ty = iy + P - ky;
      if (ty < 0 || ty % S != 0 || ty / S >= OH) continue;
      const int oy = ty / S;
      for (int kx = 0; kx < K; ++kx) {
        const int tx = ix + P - kx;
        if (tx < 0 || tx % S != 0 || tx / S >= OW) continue;
        const int ox = tx / S;
        for (int o = 0; o < O; ++o) sum += dy[(o * OH + oy) * OW + ox] * w[weight_index(o, c, ky, kx)];
      }
    }
    return sum;
  }

  /// Backward weights, one weight over one sample, restricted to the output positions
  /// first, first + step, ... (a thread group's share): sum of dy(o, oy, ox) * x(c, iy, ix).
  DAE_HOST_DEVICE static float weight_grad_at(const float* x /* (C,H,W) */, const float* dy /* (O,OH,OW) */,
                                              int o, int c, int ky, int kx, int first = 0, int step = 1) {
    float sum = 0.0f;
    const float* grad = dy + o * out_plane;
    const float* plane = x + c * in_plane;
    for (int p = first; p < out_plane; p += step) {
      const int oy = p / OW, ox = p % OW;
      const int iy = oy * S - P + ky, ix = ox * S - P + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      sum += grad[p] * plane[iy * W + ix];
    }
    return sum;
  }
};

namespace detail {
template <int InChannels, int InHeight, int InWidth, int OutChannels, int Kernel, int Stride, int Padding,
          int OutputPadding>
struct ConvTransposeGeometry {
  static_assert(OutputPadding >= 0 && OutputPadding < Stride,
                "dae::ConvTransposeGeometry: output_padding must be in [0, stride)");
  static constexpr int out_height = (InHeight - 1) * Stride - 2 * Padding + Kernel + OutputPadding;
  static constexpr int out_width = (InWidth - 1) * Stride - 2 * Padding + Kernel + OutputPadding;
  static_assert(out_height > 0 && out_width > 0, "dae::ConvTransposeGeometry: the output image is empty");
  using type = ConvGeometry<OutChannels, out_height, out_width, InChannels, Kernel, Stride, Padding>;
  static_assert(type::OH == InHeight && type::OW == InWidth,
                "dae::ConvTransposeGeometry: geometry does not invert (check padding/output_padding)");
};
}  // namespace detail

/// The geometry of ConvTranspose2d(InChannels -> OutChannels, k, s, p, output_padding) applied to
/// (InChannels, InHeight, InWidth): the convolution from its output, (OutChannels, H, W), back to
/// its input. Its C, H, W are the transposed layer's output; its O, OH, OW the layer's input.
template <int InChannels, int InHeight, int InWidth, int OutChannels, int Kernel, int Stride, int Padding,
          int OutputPadding>
using ConvTransposeGeometry = typename detail::ConvTransposeGeometry<InChannels, InHeight, InWidth, OutChannels,
                                                                     Kernel, Stride, Padding, OutputPadding>::type;

/// The geometry of Conv2d<InShape, OutChannels, Kernel, Stride, Padding> (InShape a dae::Shape).
template <class InShape, int OutChannels, int Kernel, int Stride, int Padding>
using Conv2dGeometry =
    ConvGeometry<InShape::channels, InShape::height, InShape::width, OutChannels, Kernel, Stride, Padding>;

/// The geometry of ConvTranspose2d<InShape, OutChannels, Kernel, Stride, Padding, OutputPadding>.
template <class InShape, int OutChannels, int Kernel, int Stride, int Padding, int OutputPadding>
using ConvTranspose2dGeometry = ConvTransposeGeometry<InShape::channels, InShape::height, InShape::width, OutChannels,
                                                      Kernel, Stride, Padding, OutputPadding>;

}  // namespace dae
