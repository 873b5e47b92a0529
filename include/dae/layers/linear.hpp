// Linear: y = W x + b, as torch.nn.Linear. With samples as columns the whole batch is one GEMM.
#pragma once

#include <string>

#include "dae/backend/cpu/parallel.hpp"
#include "dae/init.hpp"
#include "dae/parameter.hpp"
#include "dae/tensor.hpp"

namespace dae {

/// torch.nn.Linear(InFeatures, OutFeatures). Weight [Out, In] (row-major, PyTorch's layout),
/// which is the column-major (In x Out) matrix W^T used below without copying.
/// @tparam InFeatures   input features
/// @tparam OutFeatures  output features
/// @tparam Backend      dae::cpu (or cpu_t<double> for gradient checks)
template <int InFeatures, int OutFeatures, class Backend = cpu>
class Linear {
  static_assert(is_cpu_backend_v<Backend>,
                "dae::Linear: this header implements the CPU backend only");

 public:
  using scalar = typename Backend::scalar;
  using input_shape = Shape<InFeatures>;
  using output_shape = Shape<OutFeatures>;
  static constexpr int fan_in = InFeatures;

  Parameter<scalar> weight{{OutFeatures, InFeatures}};
  Parameter<scalar> bias{{OutFeatures}};

  /// PyTorch's default initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight, then bias.
  void reset_parameters(Rng& rng) {
    init_uniform_fan_in(weight, fan_in, rng);
    init_uniform_fan_in(bias, fan_in, rng);
  }

  /// y = W x + b for every column.
  void forward(const Tensor<input_shape, Backend>& x, Tensor<output_shape, Backend>& y) const {
    y.resize(x.batch());
    detail::parallel_chunks(
        x.batch(), detail::kReductionChunk, [&](Eigen::Index first, Eigen::Index last) {
          auto out = y.matrix().middleCols(first, last - first);
          out.noalias() = weight_t().transpose() * x.matrix().middleCols(first, last - first);
          out.colwise() += bias.value;
        });
  }

  /// Adds dL/dW = dy x^T and dL/db = sum(dy); writes dL/dx = W^T dy when `dx` is not null.
  void backward(const Tensor<input_shape, Backend>& x, const Tensor<output_shape, Backend>& dy,
                Tensor<input_shape, Backend>* dx) {
    // [dW^T ; db^T] summed over fixed chunks of samples: the same bits for any thread count.
    Eigen::Matrix<scalar, Eigen::Dynamic, Eigen::Dynamic> sums =
        Eigen::Matrix<scalar, Eigen::Dynamic, Eigen::Dynamic>::Zero(InFeatures + 1, OutFeatures);
    detail::deterministic_sum(x.batch(), sums,
                              [&](Eigen::Index first, Eigen::Index last, auto& partial) {
                                const auto xs = x.matrix().middleCols(first, last - first);
                                const auto dys = dy.matrix().middleCols(first, last - first);
                                partial.topRows(InFeatures).noalias() += xs * dys.transpose();
                                partial.row(InFeatures) += dys.rowwise().sum().transpose();
                              });
    GradientMap(weight.grad.data(), InFeatures, OutFeatures) += sums.topRows(InFeatures);
    bias.grad += sums.row(InFeatures).transpose();
    if (dx != nullptr) {
      dx->resize(x.batch());
      detail::parallel_chunks(x.batch(), detail::kReductionChunk,
                              [&](Eigen::Index first, Eigen::Index last) {
                                dx->matrix().middleCols(first, last - first).noalias() =
                                    weight_t() * dy.matrix().middleCols(first, last - first);
                              });
    }
  }

  template <class Visitor>
  void visit_state(const std::string& prefix, Visitor& visitor) {
    visitor.parameter(join_name(prefix, "weight"), weight);
    visitor.parameter(join_name(prefix, "bias"), bias);
  }

 private:
  using GradientMap = Eigen::Map<Eigen::Matrix<scalar, Eigen::Dynamic, Eigen::Dynamic>>;
  using WeightMap = Eigen::Map<const Eigen::Matrix<scalar, Eigen::Dynamic, Eigen::Dynamic>>;
  WeightMap weight_t() const {
    return WeightMap(weight.value.data(), InFeatures, OutFeatures);
  }  // (In, Out)
};

}  // namespace dae
