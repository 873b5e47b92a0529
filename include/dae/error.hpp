// dae::Error: the one exception type the library throws for bad input (files, flags, sizes).
// Its message is a single line that names the file, field or flag at fault, so a command-line
// front end can print it as is and exit non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace dae {

/// Thrown for every recoverable failure: malformed files, bad arguments, impossible sizes.
/// `what()` is one line that names the file, field or flag concerned.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace dae
