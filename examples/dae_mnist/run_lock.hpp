// One training run per output folder at a time. `train` and `run` hold an advisory lock
// (flock) on `<out>/.dae_mnist.lock` for as long as they write there; a second command on the
// same folder refuses at once with one line naming the folder and the holder's pid. The kernel
// drops a flock when its holder dies, however it dies, so a SIGKILLed run never leaves a lock
// that blocks the next one; the file itself stays (removing it would race with a new holder).
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "dae/error.hpp"
#include "usage_error.hpp"

namespace dae_mnist {

class RunLock {
 public:
  /// Takes the lock of `out` (which must exist), or throws.
  /// @throws UsageError naming --out and the pid holding it; dae::Error if the file cannot be made
  explicit RunLock(const std::filesystem::path& out) : path_(out / ".dae_mnist.lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw dae::Error(path_.string() + ": cannot open the run lock: " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string holder = read_holder();
      ::close(fd_);
      if (err == EWOULDBLOCK) {
        throw UsageError("--out " + out.string() + " is in use by another dae_mnist" +
                         (holder.empty() ? std::string() : " (pid " + holder + ")") +
                         "; wait for it to finish or choose another --out");
      }
      throw dae::Error(path_.string() + ": cannot lock: " + std::strerror(err));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);  // the pid is only informative
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock() { ::close(fd_); }

 private:
  [[nodiscard]] std::string read_holder() const {
    char text[32] = {};
    const ssize_t n = ::pread(fd_, text, sizeof text - 1, 0);
    std::string holder(text, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return holder.find_first_not_of("0123456789") == std::string::npos ? holder : std::string();
  }

  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace dae_mnist
