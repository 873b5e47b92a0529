// What the end-to-end tests of dae_mnist share: a synthetic dataset in MNIST's exact IDX format
// (ten drawable classes, the training images gzipped), the real binary run through the shell with
// stderr captured, and the checks of a failure (exit code, one line, the culprit named).
// Included by cli_test.cpp and faults_test.cpp, each its own test process with its own folder.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>
#include <zlib.h>

#include "dae/rng.hpp"

namespace dae_cli_test {

namespace fs = std::filesystem;

/// A finished dae_mnist: its exit status (-1 when a signal ended it) and what it wrote to stderr
/// and stdout.
struct Result {
  int exit_code;
  std::string err;
  std::string out;
};

/// The whole text of a file ("" when it does not exist).
inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A fresh folder for this test process, made at first use and removed when the process ends.
inline const fs::path& work_dir() {
  struct Folder {
    fs::path path = fs::temp_directory_path() / ("dae_cli_test_" + std::to_string(::getpid()));
    Folder() {
      fs::remove_all(path);
      fs::create_directories(path);
    }
    ~Folder() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  };
  static const Folder folder;
  return folder.path;
}

/// Runs `shell_prefix` (a shell command such as "ulimit -f 64;", or nothing) then dae_mnist with
/// `arguments`, capturing stderr; built as test_cli_cuda (DAE_CLI_DEVICE), the model commands run
/// with --device DAE_CLI_DEVICE.
inline Result dae_mnist_in_shell(const std::string& shell_prefix, std::string arguments) {
#if defined(DAE_CLI_DEVICE)
  for (const char* model_command : {"train ", "run ", "encode ", "reconstruct ", "generate "})
    if (arguments.starts_with(model_command)) arguments += std::string(" --device ") + DAE_CLI_DEVICE;
#endif
  const auto err = work_dir() / "stderr.txt", out = work_dir() / "stdout.txt";
  const std::string command = shell_prefix + " " + std::string(DAE_MNIST_BIN) + " " + arguments +
                              " > " + out.string() + " 2> " + err.string();
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(err), read_text(out)};
}

/// Runs dae_mnist with `arguments`.
inline Result dae_mnist(const std::string& arguments) { return dae_mnist_in_shell("", arguments); }

inline std::vector<char> bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const fs::path& path, const std::vector<unsigned char>& data) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(v >> shift));
}

/// Class c: a thick stroke at angle c * 18 degrees through a jittered centre, plus speckle.
inline std::vector<unsigned char> draw_digit(int c, dae::Rng& rng) {
  std::vector<unsigned char> image(784, 0);
  const double angle = c * 3.14159265358979 / 10.0;
  const double cx = 14 + 2 * (rng.uniform_double() - 0.5), cy = 14 + 2 * (rng.uniform_double() - 0.5);
  for (int t = -9; t <= 9; ++t) {
    const int x = static_cast<int>(std::lround(cx + t * std::cos(angle))), y = static_cast<int>(std::lround(cy + t * std::sin(angle)));
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        if (x + dx >= 0 && x + dx < 28 && y + dy >= 0 && y + dy < 28) image[static_cast<std::size_t>((y + dy) * 28 + x + dx)] = 255;
      }
    }
  }
  if (c % 2 == 1) {  // odd classes get a ring: pairs of angles stay distinguishable
    for (int a = 0; a < 64; ++a) {
      const int x = static_cast<int>(std::lround(cx + 6 * std::cos(a * 0.0982))), y = static_cast<int>(std::lround(cy + 6 * std::sin(a * 0.0982)));
      image[static_cast<std::size_t>(y * 28 + x)] = 200;
    }
  }
  for (int i = 0; i < 20; ++i) image[rng.below(784)] = static_cast<unsigned char>(rng.below(256));
  return image;
}

/// Writes train/t10k IDX images and labels; the training images gzipped (as Fashion-MNIST ships).
inline void write_dataset(const fs::path& folder, int train_count, int test_count) {
  fs::create_directories(folder);
  dae::Rng rng(2024);
  for (const auto& [part, count] : {std::pair<std::string, int>{"train", train_count}, {"t10k", test_count}}) {
    std::vector<unsigned char> images, labels;
    put_u32(images, 0x803);
    put_u32(images, static_cast<std::uint32_t>(count));
    put_u32(images, 28);
    put_u32(images, 28);
    put_u32(labels, 0x801);
    put_u32(labels, static_cast<std::uint32_t>(count));
    for (int i = 0; i < count; ++i) {
      const int c = static_cast<int>(rng.below(10));
      const auto image = draw_digit(c, rng);
      images.insert(images.end(), image.begin(), image.end());
      labels.push_back(static_cast<unsigned char>(c));
    }
    if (part == "train") {
      gzFile gz = gzopen((folder / "train-images-idx3-ubyte.gz").c_str(), "wb");
      gzwrite(gz, images.data(), static_cast<unsigned>(images.size()));
      gzclose(gz);
    } else {
      write_bytes(folder / (part + "-images-idx3-ubyte"), images);
    }
    write_bytes(folder / (part + "-labels-idx1-ubyte"), labels);
  }
}

inline std::vector<nlohmann::json> read_metrics(const fs::path& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

/// The lines of a captured stderr that are not per-epoch progress ("epoch 2/3  train_loss ...").
inline std::vector<std::string> error_lines(const std::string& err) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("epoch ", 0) != 0) lines.push_back(line);
  }
  return lines;
}

/// Checks a failure: the exit code, a single line besides the progress lines, naming `fragment`.
inline void expect_failure(const Result& r, int exit_code, const std::string& fragment) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == exit_code);
  const auto lines = error_lines(r.err);
  REQUIRE(lines.size() == 1);
  CHECK(lines.front().find(fragment) != std::string::npos);
  CHECK(r.err.back() == '\n');
}

/// Checks a command-line mistake: exit status 2 and, on stderr, exactly `line` and nothing else.
inline void expect_usage_error(const Result& r, const std::string& line) {
  INFO("expected: " << line);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err == line + "\n");
}

}  // namespace dae_cli_test
