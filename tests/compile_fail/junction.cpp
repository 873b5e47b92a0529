// Compile-fail case: a user's own network whose junction does not match. A 3x3 convolution
// without padding shrinks 8x8 to 6x6; declaring the ReLU after it on 4x8x8 (as if padding were 1)
// must stop at DAE_CHECK_JUNCTION with a message naming both members. Built as _ok and as _ko
// (-DAE_KO) by tests/compile_fail/CMakeLists.txt.
#include "dae/layers/activations.hpp"
#include "dae/layers/conv2d.hpp"

namespace {

struct TwoLayers {
  dae::Conv2d<dae::Shape<1, 8, 8>, 4, 3, 1, 0> conv;  // (4, 6, 6)
#ifdef DAE_KO
  dae::ReLU<dae::Shape<4, 8, 8>> relu;
#else
  dae::ReLU<dae::Shape<4, 6, 6>> relu;
#endif
  DAE_CHECK_JUNCTION(conv, relu);
};

}  // namespace

void compile_fail_junction(const dae::Tensor<dae::Shape<1, 8, 8>>& x) {
  TwoLayers net;
  dae::Tensor<dae::Shape<4, 6, 6>> y;
  net.conv.forward(x, y);
  net.relu.forward(y, y);
}
