// Compile-fail case: a tensor of the wrong shape given to a layer's forward. Linear<16, 4> takes
// Tensor<Shape<16>>; a Tensor<Shape<15>> is a different type that does not convert, so the call
// has no match. Built as _ok and as _ko (-DDAE_KO) by tests/compile_fail/CMakeLists.txt.
#include "dae/layers/linear.hpp"

void compile_fail_tensor_shape() {
  dae::Linear<16, 4> layer;
#ifdef DAE_KO
  dae::Tensor<dae::Shape<15>> x(2);
#else
  dae::Tensor<dae::Shape<16>> x(2);
#endif
  dae::Tensor<dae::Shape<4>> y;
  layer.forward(x, y);
}
