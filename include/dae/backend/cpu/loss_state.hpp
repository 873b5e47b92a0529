// The state every loss op of the CPU backend keeps (mse.hpp, cross_entropy.hpp): [0] the last
// loss, [1] the running sum of the losses a training loop accumulated, read and reset once per
// epoch by take_loss_sum. The CUDA version (backend/cuda/loss_state.cuh, same names) keeps it on
// the device so that accumulating never waits.
#pragma once

#include <vector>

#include "dae/backend.hpp"

namespace dae {

namespace cpu_ops {
/// Sizes the state; a fresh one starts with a zero sum.
inline void prepare_loss_state(std::vector<double>& state) { state.resize(2, 0.0); }
}  // namespace cpu_ops

/// The sum of the losses accumulated since the last call; resets it.
template <class T>
double take_loss_sum(cpu_t<T>, std::vector<double>& state) {
  cpu_ops::prepare_loss_state(state);
  const double sum = state[1];
  state[1] = 0;
  return sum;
}

}  // namespace dae
