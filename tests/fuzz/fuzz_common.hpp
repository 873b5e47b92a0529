// What the libFuzzer targets in this folder share: a check that aborts (so libFuzzer records the
// input as a crash, like a sanitizer report), the error-message contract every reader promises,
// and the run settings the training-state corpus and target agree on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "dae/error.hpp"
#include "dae/io/safetensors.hpp"

/// An invariant of a target: on failure, name it and abort, which libFuzzer reports as a crash.
#define DAE_FUZZ_CHECK(condition)                                                           \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

namespace dae::fuzz {

/// The input as the byte span every reader takes.
inline std::span<const std::byte> as_bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

/// A rejection must be dae::Error's one line that starts with the name of the file at fault.
inline void check_error(const dae::Error& e, std::string_view source) {
  const std::string_view what = e.what();
  DAE_FUZZ_CHECK(what.substr(0, source.size()) == source);
  DAE_FUZZ_CHECK(what.find('\n') == std::string_view::npos);
}

/// Two parsed safetensors files hold the same tensors (dtype, shape, bytes) and metadata.
inline bool same_contents(const io::SafetensorsFile& a, const io::SafetensorsFile& b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
  for (const auto& [name, t] : a.tensors) {
    const auto it = b.tensors.find(name);
    if (it == b.tensors.end() || it->second.dtype != t.dtype || it->second.shape != t.shape ||
        it->second.data != t.data) {
      return false;
    }
  }
  return true;
}

/// The settings of the run whose training state the corpus holds and the target resumes.
inline std::map<std::string, std::string> training_settings() {
  return {{"format", "dae-training-state-1"}, {"seed", "0"},        {"batch", "256"},
          {"lr", "0.001"},                    {"noise", "0.3"},     {"validation_fraction", "0.2"},
          {"train_images", "60000"}};
}

}  // namespace dae::fuzz
