// Compile-fail case: an encoder-like struct whose first Linear layer does not take the flattened
// convolution output. Conv(1->8, k3, s2, p1) maps 28x28 to 14x14, so Flatten gives 8*14*14 = 1568;
// a Linear sized for 13x13 (the extent without padding) must stop at the flatten -> lin0 junction.
// Built as _ok and as _ko (-DDAE_KO) by tests/compile_fail/CMakeLists.txt.
#include "dae/layers/activations.hpp"
#include "dae/layers/conv2d.hpp"
#include "dae/layers/linear.hpp"
#include "dae/layers/reshape.hpp"

#ifdef DAE_KO
constexpr int kFlatSize = 8 * 13 * 13;
#else
constexpr int kFlatSize = 8 * 14 * 14;
#endif

namespace {

struct SmallEncoder {
  dae::Conv2d<dae::Shape<1, 28, 28>, 8, 3, 2, 1> cnn0;  // (8, 14, 14)
  dae::ReLU<dae::Shape<8, 14, 14>> cnn1;
  dae::Flatten<dae::Shape<8, 14, 14>> flatten;          // (1568)
  dae::Linear<kFlatSize, 4> lin0;
  DAE_CHECK_JUNCTION(cnn0, cnn1);
  DAE_CHECK_JUNCTION(cnn1, flatten);
  DAE_CHECK_JUNCTION(flatten, lin0);
};

}  // namespace

std::size_t compile_fail_encoder_flatten() { return sizeof(SmallEncoder); }
