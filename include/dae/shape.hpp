// Compile-time shapes of one sample. The batch size is the only run-time dimension in dae, so a
// layer's input and output shapes are types, and a mismatched composition is a compile error.
#pragma once

#include <type_traits>

namespace dae {

/// The shape of one sample, channels x height x width (a vector of N features is Shape<N>).
/// @tparam Channels, Height, Width  positive extents; memory order is CHW, width fastest.
template <int Channels, int Height = 1, int Width = 1>
struct Shape {
  static_assert(Channels > 0 && Height > 0 && Width > 0, "dae::Shape: every extent must be positive");
  static constexpr int channels = Channels;
  static constexpr int height = Height;
  static constexpr int width = Width;
  static constexpr int plane = Height * Width;  ///< elements of one channel
  static constexpr int size = Channels * Height * Width;
};

template <class T>
struct is_shape : std::false_type {};
template <int C, int H, int W>
struct is_shape<Shape<C, H, W>> : std::true_type {};

}  // namespace dae

/// Checks, at compile time, that layer `from` feeds layer `to`: use one per junction of a network
/// built from dae layers. The message names both layers, so a mismatch reads as what it is.
#define DAE_CHECK_JUNCTION(from, to)                                                        \
  static_assert(std::is_same_v<typename decltype(from)::output_shape,                      \
                               typename decltype(to)::input_shape>,                         \
                "dae: shape mismatch: the output of " #from " is not the input of " #to)
