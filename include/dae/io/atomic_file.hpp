// Whole-file reads and crash-safe whole-file writes, the two primitives every dae file format uses.
//
// A write goes to a fresh temporary file in the target's own directory (so the final rename stays
// on one file system and is atomic), is flushed with fsync, renamed over the target, and the
// directory is fsynced too. Readers therefore see either the old file or the complete new one, and
// a failed write leaves the previous file untouched and removes its temporary. POSIX only (Linux),
// like the rest of the project's tooling. `ensure_writable_directory` lets a program prove, before
// hours of training, that its output folder can take files; `remove_stale_temporaries` clears the
// temporaries of writes that a SIGKILL or a power cut stopped before their rename.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "dae/error.hpp"

namespace dae::io {

namespace detail {

/// "path: what: strerror(errno)" as one line.
inline std::string errno_message(const std::filesystem::path& path, std::string_view what,
                                 int err) {
  return path.string() + ": " + std::string(what) + ": " + std::strerror(err);
}

/// Closes a file descriptor on scope exit unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now and reports failure (close can report a deferred write error).
  bool close_checked() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

/// Writes all of `bytes` to `fd`, retrying on EINTR and short writes; returns errno or 0.
inline int write_all(int fd, const std::byte* bytes, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

/// fsyncs a directory so that a rename inside it is durable; errors are ignored (some file
/// systems refuse fsync on directories, and the data itself is already safe).
inline void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace detail

/// Reads a whole file into memory.
/// @param path the file to read.
/// @return its bytes.
/// @throws dae::Error naming the path when it does not exist, is not a regular file, or cannot be
///         read.
inline std::vector<std::byte> read_file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw Error(path.string() + ": file not found");
  }
  if (std::filesystem::is_directory(status)) {
    throw Error(path.string() + ": is a directory, expected a file");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(detail::errno_message(path, "cannot open", errno));
  detail::FdGuard guard(fd);
  std::vector<std::byte> bytes;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    bytes.reserve(static_cast<std::size_t>(st.st_size));
  }
  std::byte chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(detail::errno_message(path, "read failed", errno));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  return bytes;
}

/// Atomically replaces (or creates) `path` with `bytes`: temporary file in the same directory,
/// write, fsync, rename, fsync of the directory. A new file gets mode 0644; a replaced file keeps
/// its mode.
/// @param path the destination; its parent directory must exist.
/// @param bytes the complete new contents.
/// @post on success `path` holds exactly `bytes`; on failure `path` is as before and no temporary
///       file is left behind.
/// @throws dae::Error naming the path when any step fails.
inline void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes) {
  if (path.filename().empty()) throw Error(path.string() + ": not a file name");
  const std::filesystem::path dir = path.parent_path();
  // Hidden name next to the target: "<dir>/.<name>.tmp.XXXXXX" (appended piecewise: GCC 12's
  // -Wrestrict misfires on `"literal" + std::string` at -O2 and above).
  std::string temp_name = ".";
  temp_name += path.filename().string();
  temp_name += ".tmp.XXXXXX";
  std::string pattern = ((dir.empty() ? std::filesystem::path(".") : dir) / temp_name).string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) throw Error(detail::errno_message(path, "cannot create a temporary file", errno));
  detail::FdGuard guard(fd);
  const std::filesystem::path temp = pattern;
  auto fail = [&](std::string_view what, int err) {
    guard.close_checked();
    ::unlink(temp.c_str());
    throw Error(detail::errno_message(path, what, err));
  };
  struct stat old {};
  const mode_t mode = (::stat(path.c_str(), &old) == 0) ? (old.st_mode & 07777) : 0644;
  if (::fchmod(fd, mode) != 0) fail("cannot set permissions", errno);
  if (const int err = detail::write_all(fd, bytes.data(), bytes.size()); err != 0) {
    fail("write failed", err);
  }
  if (::fsync(fd) != 0) fail("fsync failed", errno);
  if (!guard.close_checked()) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw Error(detail::errno_message(path, "close failed", err));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw Error(detail::errno_message(path, "cannot rename the temporary file into place", err));
  }
  detail::sync_directory(dir);
}

/// Convenience overload for text.
/// @param path the destination; its parent directory must exist.
/// @param text the complete new contents.
/// @throws dae::Error naming the path when any step fails.
inline void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
  write_file_atomic(path, std::as_bytes(std::span<const char>(text.data(), text.size())));
}

/// Creates `dir` (and its parents) when missing and proves it writable by creating, writing,
/// syncing and deleting a probe file in it. Call it before long work whose results go there.
/// @param dir the output directory.
/// @post `dir` exists, is a directory, and a file could be created in it.
/// @throws dae::Error naming the path when it exists as a non-directory, cannot be created, or
///         does not accept files.
inline void ensure_writable_directory(const std::filesystem::path& dir) {
  if (dir.empty()) throw Error("output directory: empty path");
  std::error_code ec;
  const auto status = std::filesystem::status(dir, ec);
  if (std::filesystem::exists(status)) {
    if (!std::filesystem::is_directory(status)) {
      throw Error(dir.string() + ": exists and is not a directory");
    }
  } else {
    std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(dir.string() + ": cannot create directory: " + ec.message());
  }
  std::string pattern = (dir / ".dae-write-probe.XXXXXX").string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) throw Error(detail::errno_message(dir, "directory is not writable", errno));
  detail::FdGuard guard(fd);
  const std::byte probe{0x2a};
  const int err = detail::write_all(fd, &probe, 1);
  const bool closed = guard.close_checked();
  ::unlink(pattern.c_str());
  if (err != 0) throw Error(detail::errno_message(dir, "directory is not writable", err));
  if (!closed) throw Error(dir.string() + ": directory is not writable: close failed");
}

/// True for the names write_file_atomic and ensure_writable_directory give their temporary files:
/// ".<name>.tmp.XXXXXX" and ".dae-write-probe.XXXXXX".
/// @param name a file name, without its directory.
/// @return whether a crashed write could have left a file of that name.
inline bool is_temporary_name(std::string_view name) {
  constexpr std::size_t kSuffix = 6;  // mkostemp's XXXXXX
  if (name.size() < 2 || name.front() != '.') return false;
  const std::size_t stem = name.size() - kSuffix;
  if (name.size() > kSuffix + 5 && name.substr(stem - 5, 5) == ".tmp.") return true;
  return name.size() == kSuffix + 17 && name.substr(0, 17) == ".dae-write-probe.";
}

/// Removes the temporary files that writes killed before their rename (SIGKILL, power loss) left
/// in `dir`. Only call it while no other process writes into `dir` (under a lock of the folder):
/// a live write's temporary has the same form.
/// @param dir the folder to clean; a missing folder holds nothing.
/// @return the number of files removed.
/// @throws dae::Error naming the file when one cannot be removed.
inline int remove_stale_temporaries(const std::filesystem::path& dir) {
  std::error_code ec;
  int removed = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || !is_temporary_name(it->path().filename().string())) continue;
    if (::unlink(it->path().c_str()) != 0) {
      throw Error(detail::errno_message(it->path(), "cannot remove a stale temporary file", errno));
    }
    ++removed;
  }
  return removed;
}

}  // namespace dae::io
