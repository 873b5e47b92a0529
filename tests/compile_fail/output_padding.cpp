// Compile-fail case: ConvTranspose2d with output_padding >= stride, which PyTorch rejects at run
// time ("output padding must be smaller than either stride or dilation"); dae rejects it when the
// type is formed. Stride 2 with output_padding 1 is the decoder's own layer; 2 is one too many.
// Built as _ok and as _ko (-DDAE_KO) by tests/compile_fail/CMakeLists.txt.
#include "dae/layers/conv_transpose2d.hpp"

#ifdef DAE_KO
constexpr int kOutputPadding = 2;
#else
constexpr int kOutputPadding = 1;
#endif

void compile_fail_output_padding(const dae::Tensor<dae::Shape<16, 7, 7>>& x) {
  dae::ConvTranspose2d<dae::Shape<16, 7, 7>, 8, 3, 2, 1, kOutputPadding> layer;  // (8, 14, 14) when _ok
  dae::Tensor<decltype(layer)::output_shape> y;
  layer.forward(x, y);
}
