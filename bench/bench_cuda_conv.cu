// Micro-benchmarks of the six convolutions of the reference model, each pass (forward,
// backward-data, backward-weights) at batch 256 and 4096: our kernels (kernels/conv2d.cuh,
// kernels/conv_transpose2d.cuh), cuDNN's fastest algorithm for the same problem (only when built
// with DAE_WITH_CUDNN and cuDNN is found; a yardstick, never used by the library), and the Eigen
// CPU path (forward, and backward = data + weights, which the CPU computes together). GPU times
// come from CUDA events around each pass (manual time); every benchmark reports GFLOP/s
// (2 x multiply-adds of the pass per second). Without a usable device the GPU benchmarks skip.
//
// Each convolution is described by its kernel geometry G (conv_geometry.cuh): a Conv2d maps G's
// input space to its output space, a ConvTranspose2d the other way, so "a" below is a batch in G's
// input space and "g" one in G's output space.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "dae/backend/cuda/memory.hpp"
#include "kernels/conv2d.cuh"
#include "kernels/conv_transpose2d.cuh"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/conv_transpose2d.hpp"

#if defined(DAE_HAVE_CUDNN)
#include <cudnn.h>
#endif

namespace {

using namespace dae;
using cuda_backend::DeviceBuffer;
enum class Pass { forward, backward_data, backward_weights };

bool have_device() {
  static const bool ok = !cuda_backend::device_unavailable_reason().has_value();
  return ok;
}

std::vector<float> random_values(std::size_t count, std::uint64_t seed) {
  std::vector<float> v(count);
  Rng rng(seed, 1);
  for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

DeviceBuffer<float> random_device(std::size_t count, std::uint64_t seed) {
  DeviceBuffer<float> d(count);
  const auto v = random_values(count, seed);
  cuda_backend::copy_to_device(d.data(), v.data(), count);
  return d;
}

/// GFLOP/s of `passes` passes of geometry G over `batch` samples per iteration.
template <class G>
void report(benchmark::State& state, Eigen::Index batch, double passes = 1.0) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(passes * 2.0 * static_cast<double>(G::macs_per_sample) * static_cast<double>(batch),
                         benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

/// Times `body` with CUDA events on the current stream, once per benchmark iteration.
template <class Body>
void time_gpu(benchmark::State& state, Body&& body) {
  cuda_backend::Event start, stop;
  const cudaStream_t stream = cuda_backend::current_stream();
  body();  // warm-up
  DAE_CUDA_CHECK(cudaStreamSynchronize(stream));
  for (auto _ : state) {
    start.record(stream);
    body();
    stop.record(stream);
    stop.synchronize();
    state.SetIterationTime(static_cast<double>(cuda_backend::Event::elapsed_ms(start, stop)) / 1e3);
  }
}

/// Our kernels for geometry G; Transposed selects the ConvTranspose2d launchers.
template <class G, bool Transposed>
void BM_ours(benchmark::State& state, Pass pass) {
  if (!have_device()) return state.SkipWithError("no usable CUDA device");
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  const auto a = random_device(static_cast<std::size_t>(batch) * G::input_size, 2);
  const auto g = random_device(static_cast<std::size_t>(batch) * G::output_size, 3);
  const auto w = random_device(G::weight_size, 4);
  const auto bias = random_device(G::O + G::C, 5);
  DeviceBuffer<float> out(static_cast<std::size_t>(batch) * (G::input_size + G::output_size));
  DeviceBuffer<float> dw(G::weight_size + G::O + G::C);
  DeviceBuffer<float> workspace(static_cast<std::size_t>(
      std::max(kernels::conv2d_backward_weights_workspace<G>(batch), kernels::conv_transpose2d_backward_weights_workspace<G>(batch))));
  const cudaStream_t s = cuda_backend::current_stream();
  time_gpu(state, [&] {
    if constexpr (!Transposed) {
      if (pass == Pass::forward) kernels::conv2d_forward<G>(a.data(), w.data(), bias.data(), out.data(), batch, s);
      if (pass == Pass::backward_data) kernels::conv2d_backward_data<G>(g.data(), w.data(), nullptr, out.data(), batch, s);
      if (pass == Pass::backward_weights)
        kernels::conv2d_backward_weights<G>(a.data(), g.data(), dw.data(), dw.data() + G::weight_size, batch, workspace.data(), s);
    } else {
      if (pass == Pass::forward) kernels::conv_transpose2d_forward<G>(g.data(), w.data(), bias.data(), out.data(), batch, s);
      if (pass == Pass::backward_data)
        kernels::conv_transpose2d_backward_data<G>(a.data(), w.data(), nullptr, out.data(), batch, s);
      if (pass == Pass::backward_weights)
        kernels::conv_transpose2d_backward_weights<G>(g.data(), a.data(), dw.data(), dw.data() + G::weight_size, batch,
                                                      workspace.data(), s);
    }
  });
  report<G>(state, batch);
}

/// The Eigen CPU layer: forward, or backward (data and weights together, as the CPU computes them).
template <class Layer, class G>
void BM_eigen(benchmark::State& state, Pass pass) {
  using In = typename Layer::input_shape;
  using Out = typename Layer::output_shape;
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  Layer layer;
  Rng rng(1, 1);
  layer.reset_parameters(rng);
  Tensor<In> x(batch), dx(batch);
  Tensor<Out> y(batch), dy(batch);
  const auto xv = random_values(static_cast<std::size_t>(x.matrix().size()), 2);
  const auto dyv = random_values(static_cast<std::size_t>(dy.matrix().size()), 3);
  std::copy(xv.begin(), xv.end(), x.data());
  std::copy(dyv.begin(), dyv.end(), dy.data());
  for (auto _ : state) {
    if (pass == Pass::forward) layer.forward(x, y);
    else layer.backward(x, dy, &dx);
    benchmark::ClobberMemory();
  }
  report<G>(state, batch, pass == Pass::forward ? 1.0 : 2.0);  // backward: data and weights
}

#if defined(DAE_HAVE_CUDNN)
#define DAE_CUDNN_CHECK(call)                                                                            \
  do {                                                                                                   \
    const cudnnStatus_t status_ = (call);                                                                \
    if (status_ != CUDNN_STATUS_SUCCESS) throw dae::Error(std::string(#call) + ": " + cudnnGetErrorString(status_)); \
  } while (0)

/// cuDNN's fastest algorithm (cudnnFind*) for each pass of geometry G; the same mapping of the
/// transposed convolution onto the plain one as ours.
template <class G, bool Transposed>
void BM_cudnn(benchmark::State& state, Pass pass) {
  if (!have_device()) return state.SkipWithError("no usable CUDA device");
  const auto batch = static_cast<int>(state.range(0));
  cudnnHandle_t handle;
  DAE_CUDNN_CHECK(cudnnCreate(&handle));
  DAE_CUDNN_CHECK(cudnnSetStream(handle, cuda_backend::current_stream()));
  cudnnTensorDescriptor_t a_desc, g_desc;
  cudnnFilterDescriptor_t w_desc;
  cudnnConvolutionDescriptor_t conv;
  DAE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&a_desc));
  DAE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&g_desc));
  DAE_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w_desc));
  DAE_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
  DAE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(a_desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, batch, G::C, G::H, G::W));
  DAE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(g_desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, batch, G::O, G::OH, G::OW));
  DAE_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_desc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, G::O, G::C, G::K, G::K));
  DAE_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, G::P, G::P, G::S, G::S, 1, 1, CUDNN_CROSS_CORRELATION,
                                                  CUDNN_DATA_FLOAT));
  auto a = random_device(static_cast<std::size_t>(batch) * G::input_size, 2);
  auto g = random_device(static_cast<std::size_t>(batch) * G::output_size, 3);
  auto w = random_device(G::weight_size, 4);
  DeviceBuffer<float> out(static_cast<std::size_t>(batch) * (G::input_size + G::output_size) + G::weight_size);
  const float one = 1.0f, zero = 0.0f;
  // In G's terms: forward a -> g, backward-data g -> a, backward-filter (a, g) -> w.
  enum class Op { fwd, bwd_data, bwd_filter } op;
  if (pass == Pass::backward_weights) op = Op::bwd_filter;
  else if ((pass == Pass::forward) != Transposed) op = Op::fwd;
  else op = Op::bwd_data;
  int returned = 0;
  std::size_t bytes = 0;
  DeviceBuffer<unsigned char> workspace;
  std::function<void()> run;
  if (op == Op::fwd) {
    cudnnConvolutionFwdAlgoPerf_t perf;
    DAE_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(handle, a_desc, w_desc, conv, g_desc, 1, &returned, &perf));
    DAE_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle, a_desc, w_desc, conv, g_desc, perf.algo, &bytes));
    workspace.reserve(std::max<std::size_t>(bytes, 1));
    run = [&, algo = perf.algo] {
      DAE_CUDNN_CHECK(cudnnConvolutionForward(handle, &one, a_desc, a.data(), w_desc, w.data(), conv, algo,
                                              workspace.data(), bytes, &zero, g_desc, out.data()));
    };
    state.SetLabel("algo " + std::to_string(perf.algo));
  } else if (op == Op::bwd_data) {
    cudnnConvolutionBwdDataAlgoPerf_t perf;
    DAE_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(handle, w_desc, g_desc, conv, a_desc, 1, &returned, &perf));
    DAE_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(handle, w_desc, g_desc, conv, a_desc, perf.algo, &bytes));
    workspace.reserve(std::max<std::size_t>(bytes, 1));
    run = [&, algo = perf.algo] {
      DAE_CUDNN_CHECK(cudnnConvolutionBackwardData(handle, &one, w_desc, w.data(), g_desc, g.data(), conv, algo,
                                                   workspace.data(), bytes, &zero, a_desc, out.data()));
    };
    state.SetLabel("algo " + std::to_string(perf.algo));
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t perf;
    DAE_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(handle, a_desc, g_desc, conv, w_desc, 1, &returned, &perf));
    DAE_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, a_desc, g_desc, conv, w_desc, perf.algo, &bytes));
    workspace.reserve(std::max<std::size_t>(bytes, 1));
    run = [&, algo = perf.algo] {
      DAE_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle, &one, a_desc, a.data(), g_desc, g.data(), conv, algo,
                                                     workspace.data(), bytes, &zero, w_desc, out.data()));
    };
    state.SetLabel("algo " + std::to_string(perf.algo));
  }
  time_gpu(state, run);
  report<G>(state, batch);
  cudnnDestroyConvolutionDescriptor(conv);
  cudnnDestroyFilterDescriptor(w_desc);
  cudnnDestroyTensorDescriptor(g_desc);
  cudnnDestroyTensorDescriptor(a_desc);
  cudnnDestroy(handle);
}
#endif

using G0 = ConvGeometry<1, 28, 28, 8, 3, 2, 1>;
using G2 = ConvGeometry<8, 14, 14, 16, 3, 2, 1>;
using G5 = ConvGeometry<16, 7, 7, 32, 3, 2, 0>;
using T0 = ConvTransposeGeometry<32, 3, 3, 16, 3, 2, 0, 0>;
using T3 = ConvTransposeGeometry<16, 7, 7, 8, 3, 2, 1, 1>;
using T6 = ConvTransposeGeometry<8, 14, 14, 1, 3, 2, 1, 1>;

template <class G, bool Transposed, class CpuLayer>
void register_layer(const std::string& name) {
  const std::pair<Pass, const char*> passes[] = {
      {Pass::forward, "forward"}, {Pass::backward_data, "backward_data"}, {Pass::backward_weights, "backward_weights"}};
  for (const auto& [pass, pass_name] : passes) {
    const std::string id = name + "/" + pass_name;
    benchmark::RegisterBenchmark(("ours/" + id).c_str(), BM_ours<G, Transposed>, pass)
        ->Arg(256)->Arg(4096)->UseManualTime()->Unit(benchmark::kMicrosecond);
#if defined(DAE_HAVE_CUDNN)
    benchmark::RegisterBenchmark(("cudnn/" + id).c_str(), BM_cudnn<G, Transposed>, pass)
        ->Arg(256)->Arg(4096)->UseManualTime()->Unit(benchmark::kMicrosecond);
#endif
  }
  benchmark::RegisterBenchmark(("eigen/" + name + "/forward").c_str(), BM_eigen<CpuLayer, G>, Pass::forward)
      ->Arg(256)->Arg(4096)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark(("eigen/" + name + "/backward_data_and_weights").c_str(), BM_eigen<CpuLayer, G>,
                               Pass::backward_data)
      ->Arg(256)->Arg(4096)->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
  register_layer<G0, false, Conv2d<Shape<1, 28, 28>, 8, 3, 2, 1>>("encoder_cnn.0");
  register_layer<G2, false, Conv2d<Shape<8, 14, 14>, 16, 3, 2, 1>>("encoder_cnn.2");
  register_layer<G5, false, Conv2d<Shape<16, 7, 7>, 32, 3, 2, 0>>("encoder_cnn.5");
  register_layer<T0, true, ConvTranspose2d<Shape<32, 3, 3>, 16, 3, 2, 0, 0>>("decoder_conv.0");
  register_layer<T3, true, ConvTranspose2d<Shape<16, 7, 7>, 8, 3, 2, 1, 1>>("decoder_conv.3");
  register_layer<T6, true, ConvTranspose2d<Shape<8, 14, 14>, 1, 3, 2, 1, 1>>("decoder_conv.6");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
