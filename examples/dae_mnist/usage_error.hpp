// The one exception type that means "the command line is wrong" (exit code 2), thrown by the
// parser (command_line.hpp) and by the checks that can only run once files are read (a --resume
// with nothing to resume, a --out already in use). Kept apart from the parser so that the code
// nvcc compiles (cuda_main.cu, through pipeline.hpp) never includes CLI11.
#pragma once

#include "dae/error.hpp"

namespace dae_mnist {

/// A mistake in the command line itself (exit code 2), as opposed to bad data (exit code 1).
class UsageError : public dae::Error {
 public:
  using dae::Error::Error;
};

}  // namespace dae_mnist
