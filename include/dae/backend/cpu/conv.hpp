// Conv2d and ConvTranspose2d on the CPU: im2col/col2im (patches.hpp) around one Eigen GEMM per
// sample, parallel over the batch. Weights are read in PyTorch's layout, viewed without copying:
//   Conv2d           weight [out, in, k, k]  ==  column-major (in*k*k) x out
//   ConvTranspose2d  weight [in, out, k, k]  ==  column-major (out*k*k) x in
// Input gradients are written (=), parameter gradients accumulated (+=) through fixed-size chunks
// of samples, so results do not depend on the thread count.
#pragma once

#include <Eigen/Core>

#include "dae/backend/cpu/parallel.hpp"
#include "dae/backend/cpu/patches.hpp"

namespace dae::cpu_ops {

template <class T>
using ColMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using MatrixMap = Eigen::Map<ColMajor<T>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const ColMajor<T>>;
template <class T>
using ConstVectorMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;

/// y = conv2d(x, weight) + bias for `batch` samples.
/// @tparam Geometry  Patches<InC, H, W, k, s, p> of the input image
template <class Geometry, int OutChannels, class T>
void conv2d_forward(const T* x, Eigen::Index batch, const T* weight, const T* bias, T* y) {
  const ConstMatrixMap<T> w(weight, Geometry::cols, OutChannels);  // (C*k*k, O)
  const ConstVectorMap<T> b(bias, OutChannels);
  const Eigen::Index x_stride = Geometry::input_size;
  detail::parallel_ranges(batch, [&](Eigen::Index first, Eigen::Index last) {
    ColMajor<T> columns(Geometry::rows, Geometry::cols);  // (OH*OW, C*k*k)
    for (Eigen::Index n = first; n < last; ++n) {
      Geometry::gather(x + n * x_stride, columns.data());
      MatrixMap<T> out(y + n * Geometry::rows * OutChannels, Geometry::rows,
                       OutChannels);  // (OH*OW, O)
      out.noalias() = columns * w;
      out.rowwise() += b.transpose();
    }
  });
}

/// Gradients of conv2d_forward: dx = (nullable) input gradient, written; dweight, dbias added to.
template <class Geometry, int OutChannels, class T>
void conv2d_backward(const T* x, const T* dy, Eigen::Index batch, const T* weight, T* dx,
                     T* dweight, T* dbias) {
  const ConstMatrixMap<T> w(weight, Geometry::cols, OutChannels);  // (C*k*k, O)
  const Eigen::Index x_stride = Geometry::input_size;
  const Eigen::Index y_stride = Eigen::Index{Geometry::rows} * OutChannels;
  if (dx != nullptr) {
    detail::parallel_ranges(batch, [&](Eigen::Index first, Eigen::Index last) {
      ColMajor<T> dcolumns(Geometry::rows, Geometry::cols);
      for (Eigen::Index n = first; n < last; ++n) {
        const ConstMatrixMap<T> dout(dy + n * y_stride, Geometry::rows, OutChannels);
        dcolumns.noalias() = dout * w.transpose();
        T* dimage = dx + n * x_stride;
        std::fill(dimage, dimage + x_stride, T(0));
        Geometry::scatter_add(dcolumns.data(), dimage);
      }
    });
  }
  // dW (C*k*k, O) += columns^T dout ; db (O) += column sums of dout, both over the batch.
  ColMajor<T> dweight_and_bias = ColMajor<T>::Zero(Geometry::cols + 1, OutChannels);
  detail::deterministic_sum(
      batch, dweight_and_bias, [&](Eigen::Index first, Eigen::Index last, ColMajor<T>& partial) {
        ColMajor<T> columns(Geometry::rows, Geometry::cols);
        for (Eigen::Index n = first; n < last; ++n) {
          Geometry::gather(x + n * x_stride, columns.data());
          const ConstMatrixMap<T> dout(dy + n * y_stride, Geometry::rows, OutChannels);
          partial.topRows(Geometry::cols).noalias() += columns.transpose() * dout;
          partial.row(Geometry::cols) += dout.colwise().sum();
        }
      });
  MatrixMap<T>(dweight, Geometry::cols, OutChannels) += dweight_and_bias.topRows(Geometry::cols);
  Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>(dbias, OutChannels) +=
      dweight_and_bias.row(Geometry::cols);
}

/// y = conv_transpose2d(x, weight) + bias. The geometry is that of the *output* image (the
/// forward conv whose adjoint this is): Geometry::rows equals the input's H*W.
/// @tparam InChannels  channels of x
template <class Geometry, int InChannels, class T>
void conv_transpose2d_forward(const T* x, Eigen::Index batch, const T* weight, const T* bias,
                              T* y) {
  constexpr int out_channels = Geometry::channels;
  constexpr Eigen::Index plane = Geometry::input_size / out_channels;
  const ConstMatrixMap<T> w(weight, Geometry::cols, InChannels);  // (O*k*k, I)
  const Eigen::Index x_stride = Eigen::Index{Geometry::rows} * InChannels;
  detail::parallel_ranges(batch, [&](Eigen::Index first, Eigen::Index last) {
    ColMajor<T> columns(Geometry::rows, Geometry::cols);  // (IH*IW, O*k*k)
    for (Eigen::Index n = first; n < last; ++n) {
      const ConstMatrixMap<T> in(x + n * x_stride, Geometry::rows, InChannels);  // (IH*IW, I)
      columns.noalias() = in * w.transpose();
      T* image = y + n * Geometry::input_size;
      for (int c = 0; c < out_channels; ++c)
        std::fill(image + c * plane, image + (c + 1) * plane, bias[c]);
      Geometry::scatter_add(columns.data(), image);
    }
  });
}

/// Gradients of conv_transpose2d_forward: dx written (nullable), dweight and dbias added to.
template <class Geometry, int InChannels, class T>
void conv_transpose2d_backward(const T* x, const T* dy, Eigen::Index batch, const T* weight, T* dx,
                               T* dweight, T* dbias) {
  constexpr int out_channels = Geometry::channels;
  constexpr Eigen::Index plane = Geometry::input_size / out_channels;
  const ConstMatrixMap<T> w(weight, Geometry::cols, InChannels);  // (O*k*k, I)
  const Eigen::Index x_stride = Eigen::Index{Geometry::rows} * InChannels;
  if (dx != nullptr) {
    detail::parallel_ranges(batch, [&](Eigen::Index first, Eigen::Index last) {
      ColMajor<T> columns(Geometry::rows, Geometry::cols);
      for (Eigen::Index n = first; n < last; ++n) {
        Geometry::gather(dy + n * Geometry::input_size, columns.data());
        MatrixMap<T>(dx + n * x_stride, Geometry::rows, InChannels).noalias() = columns * w;
      }
    });
  }
  // dW (O*k*k, I) += gather(dy)^T x ; db[c] += sum of dy over channel c's plane.
  ColMajor<T> dweight_and_bias = ColMajor<T>::Zero(Geometry::cols, InChannels + 1);
  detail::deterministic_sum(
      batch, dweight_and_bias, [&](Eigen::Index first, Eigen::Index last, ColMajor<T>& partial) {
        ColMajor<T> columns(Geometry::rows, Geometry::cols);
        for (Eigen::Index n = first; n < last; ++n) {
          Geometry::gather(dy + n * Geometry::input_size, columns.data());
          const ConstMatrixMap<T> in(x + n * x_stride, Geometry::rows, InChannels);
          partial.leftCols(InChannels).noalias() += columns.transpose() * in;
          const ConstMatrixMap<T> dout(dy + n * Geometry::input_size, plane, out_channels);
          partial.col(InChannels).head(out_channels) += dout.colwise().sum().transpose();
        }
      });
  MatrixMap<T>(dweight, Geometry::cols, InChannels) += dweight_and_bias.leftCols(InChannels);
  for (int c = 0; c < out_channels; ++c) dbias[c] += dweight_and_bias(c, InChannels);
}

}  // namespace dae::cpu_ops
