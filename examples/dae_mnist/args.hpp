// Command-line flags of dae_mnist: `--name value` or `--name=value`, each subcommand with its own
// fixed set. Every problem (unknown flag, missing value, "abc" for a number, a value out of range)
// is a UsageError whose one-line message names the flag.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dae/error.hpp"

namespace dae_mnist {

/// A mistake in the command line itself (exit code 2), as opposed to bad data (exit code 1).
class UsageError : public dae::Error {
 public:
  using dae::Error::Error;
};

class Args {
 public:
  /// Parses argv[first..argc) against the flags the command accepts: `valued` take a value,
  /// `switches` take none.
  Args(const std::string& command, int argc, char** argv, int first, const std::set<std::string>& valued,
       const std::set<std::string>& switches)
      : command_(command) {
    for (int i = first; i < argc; ++i) {
      std::string token = argv[i];
      if (token.rfind("--", 0) != 0 || token.size() < 3) {
        throw UsageError(command + ": unexpected argument '" + token + "' (flags start with --; see dae_mnist --help)");
      }
      std::optional<std::string> value;
      if (const auto eq = token.find('='); eq != std::string::npos) {
        value = token.substr(eq + 1);
        token = token.substr(0, eq);
      }
      if (switches.count(token)) {
        if (value) throw UsageError(token + ": takes no value");
        values_[token] = "";
      } else if (valued.count(token)) {
        if (!value) {
          if (i + 1 >= argc) throw UsageError(token + ": missing value");
          value = argv[++i];
        }
        values_[token] = *value;
      } else {
        throw UsageError("unknown flag " + token + " for '" + command + "' (see dae_mnist " + command + " --help)");
      }
    }
  }

  [[nodiscard]] bool has(const std::string& flag) const { return values_.count(flag) != 0; }

  [[nodiscard]] std::string text(const std::string& flag, const std::string& fallback) const {
    const auto it = values_.find(flag);
    return it == values_.end() ? fallback : it->second;
  }

  [[nodiscard]] std::filesystem::path required_path(const std::string& flag) const {
    const auto it = values_.find(flag);
    if (it == values_.end() || it->second.empty()) throw UsageError(command_ + ": " + flag + " is required");
    return it->second;
  }

  /// An integer flag in [low, high].
  [[nodiscard]] std::int64_t integer(const std::string& flag, std::int64_t fallback, std::int64_t low,
                                     std::int64_t high) const {
    const auto it = values_.find(flag);
    if (it == values_.end()) return fallback;
    std::int64_t value = 0;
    const std::string& s = it->second;
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (error != std::errc() || end != s.data() + s.size() || s.empty()) {
      throw UsageError(flag + ": '" + s + "' is not an integer");
    }
    if (value < low || value > high) {
      throw UsageError(flag + ": " + s + " is out of range [" + std::to_string(low) + ", " + std::to_string(high) + "]");
    }
    return value;
  }

  /// A finite real flag in [low, high].
  [[nodiscard]] double real(const std::string& flag, double fallback, double low, double high) const {
    const auto it = values_.find(flag);
    if (it == values_.end()) return fallback;
    const std::string& s = it->second;
    double value = 0;
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (error != std::errc() || end != s.data() + s.size() || s.empty() || !std::isfinite(value)) {
      throw UsageError(flag + ": '" + s + "' is not a number");
    }
    if (value < low || value > high) {
      throw UsageError(flag + ": " + s + " is out of range [" + format(low) + ", " + format(high) + "]");
    }
    return value;
  }

  /// One of a fixed set of words.
  [[nodiscard]] std::string choice(const std::string& flag, const std::string& fallback,
                                   const std::vector<std::string>& allowed) const {
    const std::string value = text(flag, fallback);
    for (const auto& a : allowed) {
      if (a == value) return value;
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw UsageError(flag + ": '" + value + "' is not one of " + list);
  }

 private:
  static std::string format(double v) {
    char buffer[32];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, v);
    return error == std::errc() ? std::string(buffer, end) : std::to_string(v);
  }
  std::string command_;
  std::map<std::string, std::string> values_;
};

}  // namespace dae_mnist
