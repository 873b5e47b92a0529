// Readers for the cluster fixtures written by tests/reference/cluster_reference.py: a tiny matrix
// format (b"DAEM", then little-endian uint32 dtype, rows, cols, then the values) and JSON files.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace dae::test {

inline std::string cluster_fixture(const std::string& name) {
  return std::string(DAE_FIXTURE_DIR) + "/cluster/" + name;
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  return nlohmann::json::parse(in);
}

/// A float32 matrix from a DAEM file (assumes a little-endian host, as every target of dae).
struct FloatMatrix {
  std::uint32_t rows = 0, cols = 0;
  std::vector<float> values;
};

inline FloatMatrix read_float_matrix(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 16 || std::memcmp(bytes.data(), "DAEM", 4) != 0)
    throw std::runtime_error(path + ": not a DAEM matrix");
  std::uint32_t header[3];
  std::memcpy(header, bytes.data() + 4, sizeof header);
  if (header[0] != 0) throw std::runtime_error(path + ": not float32");
  FloatMatrix m{header[1], header[2], {}};
  const std::size_t count = std::size_t{m.rows} * m.cols;
  if (bytes.size() != 16 + 4 * count) throw std::runtime_error(path + ": wrong size");
  m.values.resize(count);
  std::memcpy(m.values.data(), bytes.data() + 16, 4 * count);
  return m;
}

}  // namespace dae::test
