// The CUDA kernels' arithmetic and index logic, run on the CPU (no GPU needed; this test always
// runs). Every kernel file keeps one thread's work in host/device functions that take the thread's
// coordinates as arguments (kernels/common.cuh); here they are run over every coordinate of the
// model's layers and compared with the Eigen backend: the direct-convolution element formulas of
// all six (transposed) convolutions in all three passes, the weight-gradient thread layout (every
// weight and position covered exactly once), the GEMM tile phases emulated block by block and
// thread by thread with odd sizes and K-splits, BatchNorm's chunked statistics and element
// formulas, Adam's element update, the noise formula, k-means' nearest-centre rule, and the fused
// MSE + Sigmoid gradient. What this cannot check -- launches, shared-memory staging, barriers,
// reductions across threads on a real device -- is what tests/cuda/*.cu check on a GPU.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "dae/cluster/kmeans.hpp"
#include "dae/data/noise.hpp"
#include "dae/layers/activations.hpp"
#include "dae/layers/batch_norm2d.hpp"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/conv_transpose2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/loss.hpp"
#include "dae/optim/adam.hpp"
#include "kernels/adam.cuh"
#include "kernels/batch_norm2d.cuh"
#include "kernels/conv_geometry.cuh"
#include "kernels/conv_transpose2d.cuh"
#include "kernels/cross_entropy.cuh"
#include "kernels/conv_weight_grad.cuh"
#include "kernels/gemm.cuh"
#include "kernels/kmeans.cuh"
#include "kernels/linear.cuh"
#include "kernels/mse.cuh"
#include "kernels/noise.cuh"
#include "kernels/reduce.cuh"
#include "support/require_close.hpp"

using namespace dae;
using dae::test::mean_scaled_atol;
using dae::test::require_close;

namespace {

constexpr double kRtol = 1e-5;

template <class S>
Tensor<S> random_tensor(Eigen::Index batch, std::uint64_t seed) {
  Tensor<S> t(batch);
  Rng rng(seed, 7);
  for (Eigen::Index i = 0; i < t.matrix().size(); ++i) t.data()[i] = rng.uniform(-1.0f, 1.0f);
  return t;
}

std::vector<float> to_vector(const Eigen::VectorXf& v) { return {v.data(), v.data() + v.size()}; }

/// A (transposed) convolution layer's three passes, recomputed with the kernels' element formulas.
template <class Layer, class G, bool Transposed>
void check_conv(Eigen::Index batch) {
  using In = typename Layer::input_shape;
  using Out = typename Layer::output_shape;
  Layer layer;
  Rng rng(3, 4);
  layer.reset_parameters(rng);
  const auto x = random_tensor<In>(batch, 11);
  const auto dy = random_tensor<Out>(batch, 12);
  Tensor<Out> y;
  layer.forward(x, y);
  Tensor<In> dx;
  layer.weight.grad.setZero();
  layer.bias.grad.setZero();
  layer.backward(x, dy, &dx);

  const float* w = layer.weight.value.data();
  std::vector<float> y_k(static_cast<std::size_t>(batch) * Out::size), dx_k(static_cast<std::size_t>(batch) * In::size);
  std::vector<float> dw_k(G::weight_size, 0.0f), db_k(Out::channels, 0.0f);
  for (Eigen::Index n = 0; n < batch; ++n) {
    if constexpr (!Transposed) {
      for (int o = 0; o < G::O; ++o)
        for (int p = 0; p < G::out_plane; ++p)
          y_k[n * Out::size + o * G::out_plane + p] =
              layer.bias.value[o] + G::forward_at(x.sample(n), w, o, p / G::OW, p % G::OW);
      for (int c = 0; c < G::C; ++c)
        for (int p = 0; p < G::in_plane; ++p)
          dx_k[n * In::size + c * G::in_plane + p] = G::backward_data_at(dy.sample(n), w, c, p / G::W, p % G::W);
    } else {  // G maps the layer's output (G's input) to its input (G's output)
      for (int c = 0; c < G::C; ++c)
        for (int p = 0; p < G::in_plane; ++p)
          y_k[n * Out::size + c * G::in_plane + p] =
              layer.bias.value[c] + G::backward_data_at(x.sample(n), w, c, p / G::W, p % G::W);
      for (int o = 0; o < G::O; ++o)
        for (int p = 0; p < G::out_plane; ++p)
          dx_k[n * In::size + o * G::out_plane + p] = G::forward_at(dy.sample(n), w, o, p / G::OW, p % G::OW);
    }
    const float* a = Transposed ? dy.sample(n) : x.sample(n);  // G's input space
    const float* g = Transposed ? x.sample(n) : dy.sample(n);  // G's output space
    for (int o = 0; o < G::O; ++o)
      for (int c = 0; c < G::C; ++c)
        for (int ky = 0; ky < G::K; ++ky)
          for (int kx = 0; kx < G::K; ++kx) dw_k[G::weight_index(o, c, ky, kx)] += G::weight_grad_at(a, g, o, c, ky, kx);
    for (int ch = 0; ch < Out::channels; ++ch)
      db_k[ch] += Transposed ? kernels::plane_sum(a + ch * G::in_plane, G::in_plane)
                             : kernels::plane_sum(g + ch * G::out_plane, G::out_plane);
  }
  const std::vector<float> y_ref(y.data(), y.data() + y_k.size()), dx_ref(dx.data(), dx.data() + dx_k.size());
  const auto dw_ref = to_vector(layer.weight.grad), db_ref = to_vector(layer.bias.grad);
  require_close(y_k, y_ref, kRtol, mean_scaled_atol(y_ref, kRtol), "forward");
  require_close(dx_k, dx_ref, kRtol, mean_scaled_atol(dx_ref, kRtol), "backward data");
  require_close(dw_k, dw_ref, 1e-4, mean_scaled_atol(dw_ref, 1e-4), "backward weights");
  require_close(db_k, db_ref, 1e-4, mean_scaled_atol(db_ref, 1e-4), "backward bias");
}

using EncoderConv0 = Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1>;
using EncoderConv2 = Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1>;
using EncoderConv5 = Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0>;
using DecoderConv0 = ConvTranspose2d<Shape<32, 3, 3>, 16, 3, 2, 0, 0>;
using DecoderConv3 = ConvTranspose2d<Shape<16, 7, 7>, 8, 3, 2, 1, 1>;
using DecoderConv6 = ConvTranspose2d<Shape<8, 14, 14>, 1, 3, 2, 1, 1>;
using G0 = ConvGeometry<1, 28, 28, 8, 3, 2, 1>;
using G2 = ConvGeometry<8, 14, 14, 16, 3, 2, 1>;
using G5 = ConvGeometry<16, 7, 7, 32, 3, 2, 0>;
using T0 = ConvTransposeGeometry<32, 3, 3, 16, 3, 2, 0, 0>;
using T3 = ConvTransposeGeometry<16, 7, 7, 8, 3, 2, 1, 1>;
using T6 = ConvTransposeGeometry<8, 14, 14, 1, 3, 2, 1, 1>;

/// Every (sum, position) of one block's weight-gradient work is done by exactly one thread.
template <class G, kernels::BiasSide Side>
void check_weight_grad_layout() {
  using Shape = kernels::ConvWeightGradShape<G, Side>;
  using Layout = typename Shape::Layout;
  const int positions_of_bias = Side == kernels::BiasSide::output ? G::out_plane : G::in_plane;
  std::vector<int> covered(static_cast<std::size_t>(Shape::pairs) * G::in_plane * 2, 0);
  const int width = G::in_plane * 2;  // >= every position count
  for (int tid = 0; tid < kernels::kThreads; ++tid) {
    const int lane = tid % Layout::lanes, group = tid / Layout::lanes;
    if (group >= Layout::groups) continue;
    for (int j = 0; j < Layout::per_thread; ++j) {
      const int pair = lane + j * Layout::lanes;
      if (pair >= Shape::pairs) continue;
      const int count = pair < G::weight_size ? G::out_plane : positions_of_bias;
      for (int p = group; p < count; p += Layout::groups) ++covered[static_cast<std::size_t>(pair) * width + p];
    }
  }
  for (int pair = 0; pair < Shape::pairs; ++pair) {
    const int count = pair < G::weight_size ? G::out_plane : positions_of_bias;
    for (int p = 0; p < width; ++p) {
      INFO("pair " << pair << " position " << p);
      REQUIRE(covered[static_cast<std::size_t>(pair) * width + p] == (p < count ? 1 : 0));
    }
  }
}

/// Runs a GemmTile's phases for every block and thread of the grid, as the kernel does.
template <class Tile, class Epilogue>
void emulate_gemm(int M, int N, int k_begin, int k_end, const float* A, int lda, const float* B, int ldb,
                  const Epilogue& epilogue) {
  constexpr int TM = Tile::block_m / Tile::threads_m, TN = Tile::block_n / Tile::threads_n;
  using Acc = float[TM][TN];
  std::vector<Acc> acc(Tile::threads);
  auto shared = std::make_unique<typename Tile::Shared>();
  for (int by = 0; by * Tile::block_m < M; ++by)
    for (int bx = 0; bx * Tile::block_n < N; ++bx) {
      for (auto& a : acc) std::memset(a, 0, sizeof(Acc));
      const int m0 = by * Tile::block_m, n0 = bx * Tile::block_n;
      for (int k0 = k_begin; k0 < k_end; k0 += Tile::block_k) {
        std::memset(shared.get(), 0xFF, sizeof(typename Tile::Shared));  // NaN: every slot must be written
        for (int tid = 0; tid < Tile::threads; ++tid) Tile::load(tid, m0, n0, k0, M, N, k_end, A, lda, B, ldb, *shared);
        for (int tid = 0; tid < Tile::threads; ++tid) Tile::accumulate(tid, *shared, acc[tid]);
      }
      for (int tid = 0; tid < Tile::threads; ++tid) Tile::store(tid, m0, n0, M, N, acc[tid], epilogue);
    }
}

template <int In, int Out>
void check_linear(Eigen::Index batch) {
  Linear<In, Out> layer;
  Rng rng(5, 6);
  layer.reset_parameters(rng);
  const auto x = random_tensor<Shape<In>>(batch, 21);
  const auto dy = random_tensor<Shape<Out>>(batch, 22);
  Tensor<Shape<Out>> y;
  layer.forward(x, y);
  Tensor<Shape<In>> dx;
  layer.weight.grad.setZero();
  layer.bias.grad.setZero();
  layer.backward(x, dy, &dx);
  const int n = static_cast<int>(batch);

  std::vector<float> y_k(static_cast<std::size_t>(batch) * Out, NAN);
  emulate_gemm<kernels::LinearForwardTile>(n, Out, 0, In, x.data(), In, layer.weight.value.data(), In,
                                           kernels::BiasActivationEpilogue<kernels::Activation::none>{
                                               y_k.data(), Out, layer.bias.value.data()});
  const std::vector<float> y_ref(y.data(), y.data() + y_k.size());
  require_close(y_k, y_ref, kRtol, mean_scaled_atol(y_ref, kRtol), "linear forward");

  std::vector<float> dx_k(static_cast<std::size_t>(batch) * In, NAN);
  emulate_gemm<kernels::LinearBackwardDataTile>(n, In, 0, Out, dy.data(), Out, layer.weight.value.data(), In,
                                                kernels::MaskEpilogue{dx_k.data(), In, nullptr});
  const std::vector<float> dx_ref(dx.data(), dx.data() + dx_k.size());
  require_close(dx_k, dx_ref, kRtol, mean_scaled_atol(dx_ref, kRtol), "linear backward data");

  // dW in K-splits of kLinearSplitRows samples, then the in-order reduction of the partial rows.
  const long long stride = static_cast<long long>(Out) * In + Out;
  const auto splits = kernels::ceil_div<long long>(batch, kernels::kLinearSplitRows);
  REQUIRE(kernels::linear_backward_weights_workspace<In, Out>(batch) == splits * stride);
  std::vector<float> partials(static_cast<std::size_t>(splits * stride), NAN);
  for (long long z = 0; z < splits; ++z) {
    const int k_begin = static_cast<int>(z * kernels::kLinearSplitRows);
    const int k_end = static_cast<int>(std::min<long long>(batch, k_begin + kernels::kLinearSplitRows));
    emulate_gemm<kernels::LinearBackwardWeightsTile>(Out, In, k_begin, k_end, dy.data(), Out, x.data(), In,
                                                     kernels::PartialEpilogue{partials.data() + z * stride, In});
    for (int o = 0; o < Out; ++o) {
      float sum = 0.0f;
      for (int k = k_begin; k < k_end; ++k) sum += dy.data()[static_cast<long long>(k) * Out + o];
      partials[static_cast<std::size_t>(z * stride + static_cast<long long>(Out) * In + o)] = sum;
    }
  }
  std::vector<float> dw_k(static_cast<std::size_t>(Out) * In), db_k(Out);
  for (long long j = 0; j < stride; ++j) {
    const auto total = static_cast<float>(kernels::sum_partials_column(partials.data(), splits, stride, j));
    if (j < static_cast<long long>(Out) * In) dw_k[static_cast<std::size_t>(j)] = total;
    else db_k[static_cast<std::size_t>(j - static_cast<long long>(Out) * In)] = total;
  }
  const auto dw_ref = to_vector(layer.weight.grad), db_ref = to_vector(layer.bias.grad);
  require_close(dw_k, dw_ref, 1e-4, mean_scaled_atol(dw_ref, 1e-4), "linear backward weights");
  require_close(db_k, db_ref, 1e-4, mean_scaled_atol(db_ref, 1e-4), "linear backward bias");
}

}  // namespace

TEST_CASE("conv element formulas match the CPU backend for every model layer", "[cuda][kernel_math]") {
  for (const Eigen::Index batch : {1, 3}) {
    SECTION("batch " + std::to_string(batch)) {
      check_conv<EncoderConv0, G0, false>(batch);
      check_conv<EncoderConv2, G2, false>(batch);
      check_conv<EncoderConv5, G5, false>(batch);
      check_conv<DecoderConv0, T0, true>(batch);
      check_conv<DecoderConv3, T3, true>(batch);
      check_conv<DecoderConv6, T6, true>(batch);
    }
  }
}

TEST_CASE("conv weight-gradient thread layout covers every sum and position once", "[cuda][kernel_math]") {
  check_weight_grad_layout<G0, kernels::BiasSide::output>();
  check_weight_grad_layout<G2, kernels::BiasSide::output>();
  check_weight_grad_layout<G5, kernels::BiasSide::output>();
  check_weight_grad_layout<T0, kernels::BiasSide::input>();
  check_weight_grad_layout<T3, kernels::BiasSide::input>();
  check_weight_grad_layout<T6, kernels::BiasSide::input>();
}

TEST_CASE("weight-gradient blocks and workspace depend on the batch only", "[cuda][kernel_math]") {
  CHECK(kernels::samples_per_block(1, 256) == 1);
  CHECK(kernels::samples_per_block(256, 256) == 1);
  CHECK(kernels::samples_per_block(257, 256) == 2);
  CHECK(kernels::samples_per_block(4096, 256) == 16);
  using Shape5 = kernels::ConvWeightGradShape<G5, kernels::BiasSide::output>;
  CHECK(Shape5::pairs == 32 * 16 * 9 + 32);
  CHECK(Shape5::workspace(1000) == 250 * Shape5::pairs);  // 4 samples per block
  CHECK(Shape5::workspace(7) == 7 * Shape5::pairs);
}

TEST_CASE("GEMM tiles (emulated thread by thread) match the CPU Linear layer", "[cuda][kernel_math]") {
  for (const Eigen::Index batch : {1, 7, 130}) {
    SECTION("batch " + std::to_string(batch)) {
      check_linear<288, 128>(batch);
      check_linear<128, 4>(batch);
      check_linear<4, 128>(batch);
      check_linear<128, 288>(batch);
    }
  }
}

TEST_CASE("BatchNorm chunked statistics and element formulas match the CPU layer", "[cuda][kernel_math]") {
  using S = Shape<16, 7, 7>;
  for (const Eigen::Index batch : {1, 7, 70}) {
    BatchNorm2d<S> layer;
    Rng rng(1, 1);
    for (int c = 0; c < S::channels; ++c) {
      layer.weight.value[c] = rng.uniform(0.5f, 1.5f);
      layer.bias.value[c] = rng.uniform(-0.5f, 0.5f);
      layer.running_var.value[c] = rng.uniform(0.5f, 2.0f);
    }
    const auto x = random_tensor<S>(batch, 31);
    const auto dy = random_tensor<S>(batch, 32);
    const Eigen::VectorXf running_mean0 = layer.running_mean.value, running_var0 = layer.running_var.value;
    Tensor<S> y, dx;
    layer.forward(x, y);
    layer.backward(x, dy, &dx);

    // The kernels' arithmetic: per-chunk two-pass moments, merged in chunk order.
    const long long per_chunk = kernels::samples_per_block(batch, kernels::kBatchNormChunks);
    std::vector<float> y_k(y.matrix().size()), dx_k(y.matrix().size());
    for (int c = 0; c < S::channels; ++c) {
      kernels::Moments total{0, 0, 0};
      for (long long first = 0; first < batch; first += per_chunk) {
        const long long last = std::min<long long>(batch, first + per_chunk);
        double sum = 0, squares = 0;
        for (long long n = first; n < last; ++n)
          for (int i = 0; i < S::plane; ++i) sum += x.sample(n)[c * S::plane + i];
        const double count = static_cast<double>((last - first) * S::plane), mean = sum / count;
        for (long long n = first; n < last; ++n)
          for (int i = 0; i < S::plane; ++i) squares += (x.sample(n)[c * S::plane + i] - mean) * (x.sample(n)[c * S::plane + i] - mean);
        total = kernels::merge_moments(total, {count, mean, squares});
      }
      const double rstd = 1.0 / std::sqrt(total.m2 / total.count + kernels::kBatchNormEps);
      // The CPU layer sums each plane in float before adding planes in double: a batch mean near 0
      // (here ~1e-4, from N(0,1) data) keeps an absolute, not a relative, rounding error.
      CHECK(static_cast<float>(0.9 * running_mean0[c] + 0.1 * total.mean) ==
            Approx(layer.running_mean.value[c]).epsilon(1e-6).margin(1e-7));
      CHECK(static_cast<float>(0.9 * running_var0[c] + 0.1 * total.m2 / (total.count - 1)) ==
            Approx(layer.running_var.value[c]).epsilon(1e-6));
      const double scale = rstd * layer.weight.value[c], shift = layer.bias.value[c] - total.mean * scale;
      double sum_dy = 0, sum_dy_xhat = 0;
      for (Eigen::Index n = 0; n < batch; ++n)
        for (int i = 0; i < S::plane; ++i) {
          const auto at = static_cast<std::size_t>(n * S::size + c * S::plane + i);
          y_k[at] = kernels::batch_norm_apply(x.data()[at], scale, shift);
          sum_dy += dy.data()[at];
          sum_dy_xhat += dy.data()[at] * (x.data()[at] - total.mean) * rstd;
        }
      const double count = total.count;
      for (Eigen::Index n = 0; n < batch; ++n)
        for (int i = 0; i < S::plane; ++i) {
          const auto at = static_cast<std::size_t>(n * S::size + c * S::plane + i);
          dx_k[at] = kernels::batch_norm_backward_element(dy.data()[at], x.data()[at], total.mean, rstd,
                                                          layer.weight.value[c] * rstd, sum_dy / count,
                                                          sum_dy_xhat / count);
        }
    }
    const std::vector<float> y_ref(y.data(), y.data() + y_k.size()), dx_ref(dx.data(), dx.data() + dx_k.size());
    require_close(y_k, y_ref, kRtol, 1e-6, "batch norm forward");
    require_close(dx_k, dx_ref, kRtol, mean_scaled_atol(dx_ref, kRtol), "batch norm backward");
  }
}

TEST_CASE("Adam's element update matches dae::Adam", "[cuda][kernel_math]") {
  Parameter<float> p({257});
  Rng rng(9, 9);
  for (Eigen::Index i = 0; i < p.value.size(); ++i) p.value[i] = rng.uniform(-1.0f, 1.0f);
  std::vector<float> value(p.value.data(), p.value.data() + p.value.size()), m(257, 0.0f), v(257, 0.0f);
  Adam<cpu> adam;
  adam.attach({{"p", &p}});
  for (int step = 1; step <= 3; ++step) {
    for (Eigen::Index i = 0; i < p.grad.size(); ++i) p.grad[i] = rng.uniform(-1e-2f, 1e-2f) * static_cast<float>(i % 5);
    adam.step();
    const AdamOptions o;
    const double bc1 = 1.0 - std::pow(o.beta1, step), bc2 = 1.0 - std::pow(o.beta2, step);
    const kernels::AdamStep s{static_cast<float>(o.beta1), static_cast<float>(o.beta2), static_cast<float>(1.0 - o.beta1),
                              static_cast<float>(1.0 - o.beta2), static_cast<float>(o.lr / bc1),
                              static_cast<float>(std::sqrt(bc2)), static_cast<float>(o.eps)};
    for (std::size_t i = 0; i < value.size(); ++i) kernels::adam_update_element(value[i], p.grad[static_cast<Eigen::Index>(i)], m[i], v[i], s);
    require_close(value, to_vector(p.value), 1e-6, 1e-9, "Adam step " + std::to_string(step));
  }
}

TEST_CASE("the noise formula is data::add_noise's", "[cuda][kernel_math]") {
  const int pixels = 784;
  const std::vector<std::int64_t> ids = {0, 5, 47999, 123456};
  std::vector<float> clean(ids.size() * pixels), cpu(clean.size()), kernel(clean.size());
  Rng rng(2, 2);
  for (float& v : clean) v = rng.uniform();
  data::add_noise(clean.data(), cpu.data(), ids, pixels, 0.3f, 42, data::kTrainNoiseStream + 3);
  for (std::size_t n = 0; n < ids.size(); ++n)
    for (int p = 0; p < pixels; ++p)
      kernel[n * pixels + p] = kernels::noisy_pixel(clean[n * pixels + p], 0.3f, 42, data::kTrainNoiseStream + 3,
                                                    static_cast<std::uint64_t>(ids[n]) * pixels + p);
  // One formula on both sides (normal_at, one fused multiply-add): equal bit for bit, AVX2 or not.
  CHECK(kernel == cpu);
}

TEST_CASE("k-means nearest-centre rule is cluster::predict's", "[cuda][kernel_math]") {
  constexpr int D = 4;
  std::vector<float> points(1000 * D);
  std::vector<double> centres(10 * D);
  Rng rng(4, 4);
  for (float& v : points) v = rng.uniform(-2.0f, 2.0f);
  for (double& c : centres) c = rng.uniform(-2.0f, 2.0f);
  centres[3 * D] = centres[7 * D];  // a tie candidate: identical centres 3 and 7 -> 3 wins
  for (int d = 0; d < D; ++d) centres[7 * D + d] = centres[3 * D + d];
  const auto expected = cluster::predict(points, centres, D);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    double dist = 0;
    REQUIRE(kernels::kmeans_nearest<D>(points.data() + i * D, centres.data(), 10, dist) == expected[i]);
    CHECK(expected[i] != 7);
  }
}

TEST_CASE("the fused MSE + Sigmoid gradient is mse_loss's gradient through Sigmoid::backward", "[cuda][kernel_math]") {
  using S = Shape<1, 28, 28>;
  auto y = random_tensor<S>(5, 41), target = random_tensor<S>(5, 42);
  y.matrix() = y.matrix().array().abs();
  Tensor<S> dy, dlogits;
  mse_loss(y, target, dy);
  Sigmoid<S>::backward(y, dy, dlogits);
  const auto scale = static_cast<float>(2.0 / static_cast<double>(y.matrix().size()));
  std::vector<float> fused(static_cast<std::size_t>(y.matrix().size()));
  for (std::size_t i = 0; i < fused.size(); ++i) fused[i] = kernels::mse_gradient_element<true>(y.data()[i], target.data()[i], scale);
  const std::vector<float> ref(dlogits.data(), dlogits.data() + fused.size());
  require_close(fused, ref, 1e-6, 1e-12, "dL/dlogits");
  for (float v : {-100.0f, -3.0f, -0.5f, 0.0f, 0.5f, 3.0f, 100.0f}) CHECK(kernels::sigmoid(v) == cpu_ops::sigmoid(v));
}

TEST_CASE("a cross-entropy kernel thread's sample is the CPU backend's, bit for bit", "[cuda][kernel_math]") {
  using Logits = Shape<10>;
  auto logits = random_tensor<Logits>(9, 43);
  logits.matrix() *= 8.0f;
  logits.matrix().col(0).setConstant(3.0f);  // all tied: argmax 0, softmax uniform
  logits.matrix().col(1) << 100, -100, 30, -30, 0, 99, -99, 1, 2, 3;
  for (Eigen::Index n = 0; n < logits.batch(); ++n) {
    for (std::int32_t label : {0, 4, 9}) {
      float device_dz[10], host_dz[10];
      const double device = kernels::cross_entropy_sample<10>(logits.sample(n), label, 0.25, device_dz);
      const double host = cpu_ops::cross_entropy_sample<10>(logits.sample(n), label, 0.25, host_dz);
      INFO("sample " << n << " label " << label);
      CHECK(device == host);
      CHECK(std::memcmp(device_dz, host_dz, sizeof device_dz) == 0);
      CHECK((kernels::is_correct<10>(logits.sample(n), label) == 1.0) ==
            (cpu_ops::argmax<10>(logits.sample(n)) == label));
    }
  }
}
