// A batch of samples of one compile-time shape, stored batch-major (NCHW): sample n occupies
// Shape::size contiguous scalars. On the CPU that is an Eigen column-major matrix with one column
// per sample, so a Linear layer is one GEMM on it and a convolution sees each sample as
// contiguous channel planes.
#pragma once

#include <Eigen/Core>
#include <cassert>
#include <limits>

#include "dae/backend.hpp"
#include "dae/shape.hpp"

namespace dae {

template <class S, class Backend = cpu>
class Tensor;

/// A CPU batch: `matrix()` is (S::size x batch), column n is sample n in CHW order.
/// @tparam S  the sample shape (dae::Shape)
template <class S, class Scalar>
class Tensor<S, cpu_t<Scalar>> {
  static_assert(is_shape<S>::value, "dae::Tensor: the first parameter must be a dae::Shape");

 public:
  using shape = S;
  using scalar = Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  Tensor() : values_(S::size, 0) {}
  explicit Tensor(Eigen::Index batch) : values_(S::size, batch) {}

  /// Resizes to `batch` samples; contents are unspecified afterwards unless the size was equal.
  void resize(Eigen::Index batch) {
    if (values_.cols() != batch) values_.resize(S::size, batch);
  }
  [[nodiscard]] Eigen::Index batch() const { return values_.cols(); }

  Matrix& matrix() { return values_; }
  const Matrix& matrix() const { return values_; }
  Scalar* data() { return values_.data(); }
  const Scalar* data() const { return values_.data(); }
  Scalar* sample(Eigen::Index n) { return values_.data() + n * S::size; }
  const Scalar* sample(Eigen::Index n) const { return values_.data() + n * S::size; }

  /// Fills with NaN: tests poison outputs so an element a kernel forgot to write cannot hide.
  void poison() { values_.setConstant(std::numeric_limits<Scalar>::quiet_NaN()); }

 private:
  Matrix values_;  // (S::size, N)
};

}  // namespace dae
