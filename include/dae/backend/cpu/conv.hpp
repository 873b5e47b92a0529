// Conv2d and ConvTranspose2d on the CPU: direct convolution on blocks of L samples in the lane
// layout (lanes.hpp), every extent a compile-time constant.
//
// A convolution and its transpose are the same three operations on one geometry
// (dae::ConvGeometry, dae/conv_geometry.hpp, the type the CUDA kernels use too): an *image* side (C channels, H x W, zero-padded by p) and a *column* side (O
// channels at the OH x OW window positions), linked by the weight w[o][r], r = (c, ky, kx):
//   gather   col[o][q]      = sum_r w[o][r] * img[c][s*oy + ky][s*ox + kx]        (conv forward)
//   scatter  img[c][..][..] += sum_o w[o][r] * col[o][q]                          (its adjoint)
//   wgrad    dw[o][r]       += sum_q sum_lanes col[o][q] * img[c][s*oy + ky][s*ox + kx]
// Conv2d: image = input, column = output, weight [out, in, k, k] is w[o][r] as stored.
// ConvTranspose2d: image = output, column = input, weight [in, out, k, k] is w[o][r] as stored.
// So Conv2d forward = gather, dx = scatter; ConvTranspose2d forward = scatter, dx = gather; both
// weight gradients = wgrad. The image is held with its zero border, so no tap ever needs a test.
//
// Input gradients are written (=), parameter gradients accumulated (+=). Parameter gradients are
// summed per fixed chunk of kReductionChunk samples (lanes summed in a fixed order), and the
// chunk partials in chunk order: the bits do not depend on the thread count.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <vector>

#include "dae/backend/cpu/lanes.hpp"
#include "dae/backend/cpu/parallel.hpp"
#include "dae/conv_geometry.hpp"

namespace dae::cpu_ops {

/// Compile-time layout of one lane block of a convolution geometry G (its O column channels).
template <class G>
struct Blocked {
  static constexpr int C = G::C, H = G::H, W = G::W, O = G::O;
  static constexpr int K = G::K, S = G::S, Pad = G::P;
  static constexpr int Hp = H + 2 * Pad, Wp = W + 2 * Pad;  ///< padded image extents
  static constexpr int OH = G::OH, OW = G::OW, Q = G::out_plane;
  static constexpr int R = G::taps;                          ///< taps (im2col columns)
  static constexpr int image_pixels = C * Hp * Wp;           ///< padded image, per lane
  static constexpr int column_size = O * Q;                  ///< column side, per lane
  static_assert(S * (OH - 1) + K <= Hp && S * (OW - 1) + K <= Wp, "dae: window leaves the padded image");

  /// Offset of tap r from a window's origin, in padded pixels.
  static constexpr std::array<int, R> tap = [] {
    std::array<int, R> t{};
    for (int c = 0; c < C; ++c)
      for (int ky = 0; ky < K; ++ky)
        for (int kx = 0; kx < K; ++kx) t[(c * K + ky) * K + kx] = (c * Hp + ky) * Wp + kx;
    return t;
  }();
  /// Padded pixel of window q's origin.
  static constexpr int origin(int q) { return (S * (q / OW)) * Wp + S * (q % OW); }
};

namespace conv_detail {

/// Fills a padded lane image: samples [first, first + count) in the interior (missing lanes 0),
/// zeros in the border. The samples are interleaved whole (contiguous, 8x8 transposes), then
/// their rows are moved into the padded frame.
template <class B, class T>
void load_image(const T* x, Eigen::Index first, int count, T* img) {
  constexpr int L = Simd<T>::lanes;
  constexpr int size = B::C * B::H * B::W;
  if constexpr (B::Pad == 0) {
    to_lanes<size>(x, first, count, size, img);
  } else {
    T* dense = scratch<T, 3>(std::size_t{size} * L);
    to_lanes<size>(x, first, count, size, dense);
    for (int c = 0; c < B::C; ++c) {
      T* plane = img + c * B::Hp * B::Wp * L;
      std::fill(plane, plane + (B::Pad * B::Wp + B::Pad) * L, T(0));
      for (int y = 0; y < B::H; ++y) {
        T* row = plane + ((y + B::Pad) * B::Wp + B::Pad) * L;
        std::copy(dense + (c * B::H + y) * B::W * L, dense + ((c * B::H + y) * B::W + B::W) * L, row);
        // right border of this row and left border of the next
        std::fill(row + B::W * L, row + (B::W + 2 * B::Pad) * L, T(0));
      }
      std::fill(plane + ((B::H + B::Pad) * B::Wp + B::Pad) * L, plane + B::Hp * B::Wp * L, T(0));
    }
  }
}

/// Copies the interior of a padded lane image to samples [first, first + count), adding
/// bias[c] when bias is not null.
template <class B, class T>
void store_image(const T* img, const T* bias, int count, Eigen::Index first, T* y) {
  constexpr int L = Simd<T>::lanes;
  constexpr int size = B::C * B::H * B::W;
  if constexpr (B::Pad == 0) {
    if (bias == nullptr) {
      from_lanes<size>(img, count, first, size, y);
      return;
    }
  }
  T* dense = scratch<T, 3>(std::size_t{size} * L);
  for (int c = 0; c < B::C; ++c) {
    const auto b = Simd<T>::broadcast(bias != nullptr ? bias[c] : T(0));
    for (int y0 = 0; y0 < B::H; ++y0) {
      const T* row = img + ((c * B::Hp + y0 + B::Pad) * B::Wp + B::Pad) * L;
      T* out = dense + (c * B::H + y0) * B::W * L;
      for (int x0 = 0; x0 < B::W; ++x0) Simd<T>::store(out + x0 * L, Simd<T>::add(Simd<T>::load(row + x0 * L), b));
    }
  }
  from_lanes<size>(dense, count, first, size, y);
}

/// col[o][q] = bias[o] (0 when null) + sum_r wt[r][o] * img[origin(q) + tap[r]], one lane block.
/// @param img   the padded input block, in lanes
/// @param wt    the weight transposed to [R][O]
/// @param bias  per-output bias, or null for none
/// @param col   the output block, [O][Q] in lanes
template <class B, int O, class T>
void gather_block(const T* img, const T* wt, const T* bias, T* col) {
  using V = Simd<T>;
  constexpr int L = V::lanes;
  constexpr int OB = largest_divisor_at_most(O, 8);  // output channels per register block
  for (int q = 0; q < B::Q; ++q) {
    const T* window = img + B::origin(q) * L;
    for (int o0 = 0; o0 < O; o0 += OB) {
      typename V::Packet acc[OB];
      for (int j = 0; j < OB; ++j) acc[j] = V::broadcast(bias != nullptr ? bias[o0 + j] : T(0));
      for (int r = 0; r < B::R; ++r) {
        const auto v = V::load(window + B::tap[r] * L);
        const T* w = wt + r * O + o0;
        for (int j = 0; j < OB; ++j) acc[j] = V::madd(V::broadcast(w[j]), v, acc[j]);
      }
      for (int j = 0; j < OB; ++j) V::store(col + ((o0 + j) * B::Q + q) * L, acc[j]);
    }
  }
}

/// img[origin(q) + tap[r]] += sum_o w[o][r] * col[o][q], one lane block (the adjoint of gather).
template <class B, int O, class T>
void scatter_block(const T* col, const T* w, T* img) {
  using V = Simd<T>;
  constexpr int L = V::lanes;
  constexpr int RB = largest_divisor_at_most(B::R, 12);  // taps per register block
  for (int q = 0; q < B::Q; ++q) {
    T* window = img + B::origin(q) * L;
    for (int r0 = 0; r0 < B::R; r0 += RB) {
      typename V::Packet acc[RB];
      for (int j = 0; j < RB; ++j) acc[j] = V::zero();
      for (int o = 0; o < O; ++o) {
        const auto v = V::load(col + (o * B::Q + q) * L);
        const T* wo = w + o * B::R + r0;
        for (int j = 0; j < RB; ++j) acc[j] = V::madd(V::broadcast(wo[j]), v, acc[j]);
      }
      for (int j = 0; j < RB; ++j) {
        T* at = window + B::tap[r0 + j] * L;
        V::store(at, V::add(V::load(at), acc[j]));
      }
    }
  }
}

/// dw[o][r] = sum over the `blocks` lane blocks, windows q and lanes of col[o][q] * img[..][r];
/// written, not added. Lane sums in a fixed order.
template <class B, int O, class T>
void wgrad_blocks(const T* imgs, const T* cols, int blocks, T* dw) {
  using V = Simd<T>;
  constexpr int L = V::lanes;
  constexpr int OB = largest_divisor_at_most(O, 4);
  constexpr int RB = largest_divisor_at_most(B::R, 3);
  for (int o0 = 0; o0 < O; o0 += OB) {
    for (int r0 = 0; r0 < B::R; r0 += RB) {
      typename V::Packet acc[OB][RB];
      for (int i = 0; i < OB; ++i)
        for (int j = 0; j < RB; ++j) acc[i][j] = V::zero();
      for (int b = 0; b < blocks; ++b) {
        const T* img = imgs + b * B::image_pixels * L;
        const T* col = cols + b * B::column_size * L;
        for (int q = 0; q < B::Q; ++q) {
          const T* window = img + B::origin(q) * L;
          typename V::Packet iv[RB];
          for (int j = 0; j < RB; ++j) iv[j] = V::load(window + B::tap[r0 + j] * L);
          for (int i = 0; i < OB; ++i) {
            const auto cv = V::load(col + ((o0 + i) * B::Q + q) * L);
            for (int j = 0; j < RB; ++j) acc[i][j] = V::madd(cv, iv[j], acc[i][j]);
          }
        }
      }
      for (int i = 0; i < OB; ++i)
        for (int j = 0; j < RB; ++j) dw[(o0 + i) * B::R + r0 + j] = V::sum(acc[i][j]);
    }
  }
}

/// The sum of every lane of `packets` consecutive packets (a fixed order).
template <class T>
T lane_sum(const T* p, int packets) {
  using V = Simd<T>;
  auto acc = V::zero();
  for (int i = 0; i < packets; ++i) acc = V::add(acc, V::load(p + i * V::lanes));
  return V::sum(acc);
}

/// w [O][R] -> wt [R][O], into this thread's scratch.
template <int O, int R, class T>
const T* transposed_weight(const T* w) {
  T* wt = scratch<T, 7>(std::size_t{O} * R);
  for (int o = 0; o < O; ++o)
    for (int r = 0; r < R; ++r) wt[r * O + o] = w[o * R + r];
  return wt;
}

/// total[i] += the sum of partials[c * stride + offset + i] over chunks c in order, i < size.
template <class T>
void add_partials(const T* partials, Eigen::Index chunks, int stride, int offset, int size, T* total) {
  for (int i = 0; i < size; ++i) {
    T sum = 0;
    for (Eigen::Index c = 0; c < chunks; ++c) sum += partials[c * stride + offset + i];
    total[i] += sum;
  }
}

/// Per-chunk partial sums of the calling thread (workers write their chunk's slice).
template <class T>
T* chunk_partials(Eigen::Index chunks, int size) {
  return scratch<T, 6>(static_cast<std::size_t>(chunks) * static_cast<std::size_t>(size));
}

/// Loads samples [first, last) of one reduction chunk into lane blocks for wgrad_blocks: the
/// image side (padded) into `imgs`, the column side into `cols`. Returns the blocks used.
template <class B, class T>
int load_wgrad_chunk(const T* image_side, const T* column_side, Eigen::Index first, Eigen::Index last, T* imgs,
                     T* cols) {
  constexpr int L = Simd<T>::lanes;
  int used = 0;
  for (Eigen::Index n = first; n < last; n += L, ++used) {
    const int count = static_cast<int>(std::min<Eigen::Index>(L, last - n));
    load_image<B>(image_side, n, count, imgs + used * B::image_pixels * L);
    to_lanes<B::column_size>(column_side, n, count, B::column_size, cols + used * B::column_size * L);
  }
  return used;
}

}  // namespace conv_detail

/// y = conv2d(x, weight) + bias for `batch` samples.
/// @tparam Geometry  the layer's ConvGeometry (Conv2dGeometry)
template <class Geometry, class T>
void conv2d_forward(const T* x, Eigen::Index batch, const T* weight, const T* bias, T* y) {
  using B = Blocked<Geometry>;
  constexpr int OutChannels = Geometry::O;
  constexpr int L = Simd<T>::lanes;
  const T* wt = conv_detail::transposed_weight<OutChannels, B::R>(weight);
  detail::parallel_chunks(batch, detail::kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
    T* img = scratch<T, 0>(std::size_t{B::image_pixels} * L);
    T* col = scratch<T, 1>(std::size_t{B::column_size} * L);
    for (Eigen::Index n = first; n < last; n += L) {
      const int count = static_cast<int>(std::min<Eigen::Index>(L, last - n));
      conv_detail::load_image<B>(x, n, count, img);
      conv_detail::gather_block<B, OutChannels>(img, wt, bias, col);
      from_lanes<B::column_size>(col, count, n, B::column_size, y);
    }
  });
}

/// Gradients of conv2d_forward: dx = (nullable) input gradient, written; dweight, dbias added to.
template <class Geometry, class T>
void conv2d_backward(const T* x, const T* dy, Eigen::Index batch, const T* weight, T* dx,
                     T* dweight, T* dbias) {
  using B = Blocked<Geometry>;
  constexpr int OutChannels = Geometry::O;
  constexpr int L = Simd<T>::lanes;
  constexpr int blocks = static_cast<int>(detail::kReductionChunk) / L;
  static_assert(detail::kReductionChunk % L == 0, "dae: the reduction chunk must hold whole lane blocks");
  constexpr int partial_size = OutChannels * B::R + OutChannels;  // dw, then db
  const Eigen::Index chunks = (batch + detail::kReductionChunk - 1) / detail::kReductionChunk;
  T* partials = conv_detail::chunk_partials<T>(chunks, partial_size);
  detail::parallel_chunks(batch, detail::kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
    T* imgs = scratch<T, 0>(std::size_t{B::image_pixels} * L * blocks);
    T* cols = scratch<T, 1>(std::size_t{B::column_size} * L * blocks);
    T* partial = partials + (first / detail::kReductionChunk) * partial_size;
    const int used = conv_detail::load_wgrad_chunk<B>(x, dy, first, last, imgs, cols);
    conv_detail::wgrad_blocks<B, OutChannels>(imgs, cols, used, partial);
    for (int o = 0; o < OutChannels; ++o) {
      T sum = 0;
      for (int b = 0; b < used; ++b)
        sum += conv_detail::lane_sum(cols + (b * B::column_size + o * B::Q) * L, B::Q);
      partial[OutChannels * B::R + o] = sum;
    }
    if (dx == nullptr) return;
    T* dimg = scratch<T, 2>(std::size_t{B::image_pixels} * L);
    int b = 0;
    for (Eigen::Index n = first; n < last; n += L, ++b) {
      const int count = static_cast<int>(std::min<Eigen::Index>(L, last - n));
      std::fill(dimg, dimg + B::image_pixels * L, T(0));
      conv_detail::scatter_block<B, OutChannels>(cols + b * B::column_size * L, weight, dimg);
      conv_detail::store_image<B>(dimg, static_cast<const T*>(nullptr), count, n, dx);
    }
  });
  std::vector<T> gathered;
  Eigen::Index rows = chunks;
  const T* all =
      detail::batch_rows<T>(partials, rows, partial_size, /*per_sample=*/false, gathered);
  conv_detail::add_partials(all, rows, partial_size, 0, OutChannels * B::R, dweight);
  conv_detail::add_partials(all, rows, partial_size, OutChannels * B::R, OutChannels, dbias);
}

/// y = conv_transpose2d(x, weight) + bias. The geometry is that of the forward conv whose
/// adjoint this is (ConvTranspose2dGeometry): its image is y, its O x OH x OW column side is x.
template <class Geometry, class T>
void conv_transpose2d_forward(const T* x, Eigen::Index batch, const T* weight, const T* bias,
                              T* y) {
  using B = Blocked<Geometry>;
  constexpr int InChannels = Geometry::O;
  constexpr int L = Simd<T>::lanes;
  detail::parallel_chunks(batch, detail::kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
    T* img = scratch<T, 0>(std::size_t{B::image_pixels} * L);
    T* col = scratch<T, 1>(std::size_t{B::column_size} * L);
    for (Eigen::Index n = first; n < last; n += L) {
      const int count = static_cast<int>(std::min<Eigen::Index>(L, last - n));
      to_lanes<B::column_size>(x, n, count, B::column_size, col);
      std::fill(img, img + B::image_pixels * L, T(0));
      conv_detail::scatter_block<B, InChannels>(col, weight, img);
      conv_detail::store_image<B>(img, bias, count, n, y);
    }
  });
}

/// Gradients of conv_transpose2d_forward: dx written (nullable), dweight and dbias added to.
template <class Geometry, class T>
void conv_transpose2d_backward(const T* x, const T* dy, Eigen::Index batch, const T* weight, T* dx,
                               T* dweight, T* dbias) {
  using B = Blocked<Geometry>;
  constexpr int InChannels = Geometry::O;
  constexpr int L = Simd<T>::lanes;
  constexpr int blocks = static_cast<int>(detail::kReductionChunk) / L;
  static_assert(detail::kReductionChunk % L == 0, "dae: the reduction chunk must hold whole lane blocks");
  constexpr int C = B::C;
  constexpr int partial_size = InChannels * B::R + C;  // dw, then db
  const Eigen::Index chunks = (batch + detail::kReductionChunk - 1) / detail::kReductionChunk;
  T* partials = conv_detail::chunk_partials<T>(chunks, partial_size);
  const T* wt = dx != nullptr ? conv_detail::transposed_weight<InChannels, B::R>(weight) : nullptr;
  detail::parallel_chunks(batch, detail::kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
    T* imgs = scratch<T, 0>(std::size_t{B::image_pixels} * L * blocks);
    T* cols = scratch<T, 1>(std::size_t{B::column_size} * L * blocks);
    T* partial = partials + (first / detail::kReductionChunk) * partial_size;
    const int used = conv_detail::load_wgrad_chunk<B>(dy, x, first, last, imgs, cols);
    conv_detail::wgrad_blocks<B, InChannels>(imgs, cols, used, partial);
    for (int c = 0; c < C; ++c) {
      T sum = 0;
      for (int b = 0; b < used; ++b)
        for (int y0 = 0; y0 < B::H; ++y0)
          sum += conv_detail::lane_sum(
              imgs + (b * B::image_pixels + (c * B::Hp + y0 + B::Pad) * B::Wp + B::Pad) * L, B::W);
      partial[InChannels * B::R + c] = sum;
    }
    if (dx == nullptr) return;
    T* col = scratch<T, 2>(std::size_t{B::column_size} * L);
    int b = 0;
    for (Eigen::Index n = first; n < last; n += L, ++b) {
      const int count = static_cast<int>(std::min<Eigen::Index>(L, last - n));
      conv_detail::gather_block<B, InChannels>(imgs + b * B::image_pixels * L, wt, static_cast<const T*>(nullptr),
                                               col);
      from_lanes<B::column_size>(col, count, n, B::column_size, dx);
    }
  });
  std::vector<T> gathered;
  Eigen::Index rows = chunks;
  const T* all =
      detail::batch_rows<T>(partials, rows, partial_size, /*per_sample=*/false, gathered);
  conv_detail::add_partials(all, rows, partial_size, 0, InChannels * B::R, dweight);
  conv_detail::add_partials(all, rows, partial_size, InChannels * B::R, C, dbias);
}

}  // namespace dae::cpu_ops
