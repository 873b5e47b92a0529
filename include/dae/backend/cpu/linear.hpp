// Linear's ops on the CPU backend: with samples as columns the whole batch is one Eigen GEMM;
// the weight gradient is summed over fixed chunks of samples, so it has the same bits for any
// thread count. The CUDA versions, with the same names and signatures, are
// backend/cuda/linear.cuh.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "dae/activation.hpp"
#include "dae/backend.hpp"
#include "dae/backend/cpu/activations.hpp"
#include "dae/backend/cpu/parallel.hpp"

namespace dae {

namespace cpu_ops {
template <class T>
using MatrixMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>;
}  // namespace cpu_ops

/// y = act(W x + b) for `batch` samples; weight is [Out, In] row-major (PyTorch's layout).
template <int In, int Out, class T>
void linear_forward(cpu_t<T> backend, const T* x, Eigen::Index batch, const T* weight, const T* bias, T* y,
                    Activation act) {
  const cpu_ops::ConstMatrixMap<T> w_t(weight, In, Out);  // (In, Out)
  const Eigen::Map<const Eigen::Matrix<T, Out, 1>> b(bias);
  const cpu_ops::ConstMatrixMap<T> xs(x, In, batch);
  cpu_ops::MatrixMap<T> ys(y, Out, batch);
  detail::parallel_chunks(batch, detail::kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
    auto out = ys.middleCols(first, last - first);
    out.noalias() = w_t.transpose() * xs.middleCols(first, last - first);
    out.colwise() += b;
  });
  activation_forward(backend, act, y, y, batch * Out);
}

/// Adds dL/dW = dy x^T and dL/db = sum(dy); writes dL/dx = W^T dy when dx is not null, times the
/// derivative of `input_activation`. The workspace is unused on the CPU.
template <int In, int Out, class T>
void linear_backward(cpu_t<T> backend, const T* x, const T* dy, Eigen::Index batch, const T* weight,
                     Activation input_activation, T* dx, T* dweight, T* dbias, std::vector<T>& /*workspace*/) {
  const cpu_ops::ConstMatrixMap<T> xs(x, In, batch);
  const cpu_ops::ConstMatrixMap<T> dys(dy, Out, batch);
  // [dW^T ; db^T] summed over fixed chunks of samples: the same bits for any thread count.
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> sums = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>::Zero(In + 1, Out);
  detail::deterministic_sum(batch, sums, [&](Eigen::Index first, Eigen::Index last, auto& partial) {
    const auto x_chunk = xs.middleCols(first, last - first);
    const auto dy_chunk = dys.middleCols(first, last - first);
    partial.topRows(In).noalias() += x_chunk * dy_chunk.transpose();
    partial.row(In) += dy_chunk.rowwise().sum().transpose();
  });
  cpu_ops::MatrixMap<T>(dweight, In, Out) += sums.topRows(In);
  Eigen::Map<Eigen::Matrix<T, Out, 1>>(dbias) += sums.row(In).transpose();
  if (dx == nullptr) return;
  const cpu_ops::ConstMatrixMap<T> w_t(weight, In, Out);
  cpu_ops::MatrixMap<T> dxs(dx, In, batch);
  detail::parallel_chunks(batch, detail::kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
    dxs.middleCols(first, last - first).noalias() = w_t * dys.middleCols(first, last - first);
  });
  activation_backward(backend, input_activation, x, dx, batch * In);
}

}  // namespace dae
