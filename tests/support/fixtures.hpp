// Loading the PyTorch fixtures (tests/fixtures/*.safetensors, written by tests/reference/) into
// flat vectors and dae tensors.
#pragma once

#include <string>
#include <vector>

#include "dae/io/safetensors.hpp"
#include "dae/tensor.hpp"

namespace dae::test {

inline std::string fixture_path(const std::string& relative) { return std::string(DAE_FIXTURE_DIR) + "/" + relative; }

/// A fixture file, loaded once per test.
struct Fixture {
  io::SafetensorsFile file;
  explicit Fixture(const std::string& relative) : file(io::read_safetensors(fixture_path(relative))) {}

  [[nodiscard]] std::vector<float> floats(const std::string& name) const { return file.tensors.at(name).values<float>(); }
  [[nodiscard]] double scalar(const std::string& name) const { return file.tensors.at(name).values<double>().at(0); }

  /// The fixture tensor `name` (batch-first, C order) as a dae tensor.
  template <class S, class Backend = cpu>
  [[nodiscard]] Tensor<S, Backend> tensor(const std::string& name) const {
    const auto values = floats(name);
    REQUIRE(values.size() % S::size == 0);
    Tensor<S, Backend> t(static_cast<Eigen::Index>(values.size() / S::size));
    for (std::size_t i = 0; i < values.size(); ++i) t.data()[i] = static_cast<typename Backend::scalar>(values[i]);
    return t;
  }

  /// Copies the fixture tensor `name` into a parameter-like vector of the same size.
  template <class Vector>
  void load_into(const std::string& name, Vector& target) const {
    const auto values = floats(name);
    REQUIRE(static_cast<std::size_t>(target.size()) == values.size());
    for (std::size_t i = 0; i < values.size(); ++i) target[static_cast<Eigen::Index>(i)] = values[i];
  }
};

}  // namespace dae::test
