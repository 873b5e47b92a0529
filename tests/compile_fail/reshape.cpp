// Compile-fail case: a Reshape between shapes of different sizes. 32x3x3 = 288 elements can be
// viewed as 8x6x6 but not as 16x4x4 = 256. Built as _ok and as _ko (-DDAE_KO) by
// tests/compile_fail/CMakeLists.txt.
#include "dae/layers/reshape.hpp"

#ifdef DAE_KO
using Target = dae::Shape<16, 4, 4>;
#else
using Target = dae::Shape<8, 6, 6>;
#endif

void compile_fail_reshape(const dae::Tensor<dae::Shape<32, 3, 3>>& x) {
  dae::Tensor<Target> y;
  dae::Reshape<dae::Shape<32, 3, 3>, Target>::forward(x, y);
}
