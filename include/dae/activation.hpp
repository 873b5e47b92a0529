// The activations a layer can fuse into its forward epilogue. Shared by the CPU ops, the CUDA ops
// and the kernels, so a call list written once names the same fusion on every backend.
#pragma once

namespace dae {

/// The activation a layer applies to its output before writing it.
enum class Activation { none, relu, sigmoid };

}  // namespace dae
