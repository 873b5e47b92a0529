// Tests of dae/io/atomic_file.hpp: replacement is all-or-nothing, temporaries never linger, and
// ensure_writable_directory creates or refuses with a message naming the path. Tests run as root,
// so failures are forced through paths whose parent is a regular file, or targets that are
// directories, rather than permissions.
#include "dae/io/atomic_file.hpp"

#include <sys/stat.h>

#include "io/test_util.hpp"

using namespace dae::test;

namespace {
std::size_t entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}
}  // namespace

TEST_CASE("atomic file: create, replace, keep mode", "[io][atomic]") {
  TempDir dir;
  const auto p = dir / "out.txt";
  dae::io::write_file_atomic(p, std::string_view("first"));
  CHECK(read_bytes(p) == bytes_of("first"));
  ::chmod(p.c_str(), 0600);
  dae::io::write_file_atomic(p, std::string_view("second, longer"));
  CHECK(read_bytes(p) == bytes_of("second, longer"));
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(entries(dir.path()) == 1);
  CHECK(dae::io::read_file_bytes(p) == bytes_of("second, longer"));
}

TEST_CASE("atomic file: a failed write keeps the old file and leaves no temporary",
          "[io][atomic]") {
  TempDir dir;
  SECTION("parent is a regular file") {
    write_bytes(dir / "plain", bytes_of("old"));
    require_error([&] { dae::io::write_file_atomic(dir / "plain" / "x.bin", std::string_view("new")); },
                  {(dir / "plain" / "x.bin").string(), "temporary"});
    CHECK(read_bytes(dir / "plain") == bytes_of("old"));
    CHECK(entries(dir.path()) == 1);
  }
  SECTION("target is a non-empty directory: rename fails") {
    std::filesystem::create_directory(dir / "target");
    write_bytes(dir / "target" / "keep", bytes_of("old"));
    require_error([&] { dae::io::write_file_atomic(dir / "target", std::string_view("new")); },
                  {(dir / "target").string(), "rename"});
    CHECK(read_bytes(dir / "target" / "keep") == bytes_of("old"));
    CHECK(entries(dir.path()) == 1);
  }
  SECTION("missing directory") {
    require_error([&] { dae::io::write_file_atomic(dir / "no" / "x", std::string_view("new")); },
                  {"no/x"});
    CHECK(entries(dir.path()) == 0);
  }
}

TEST_CASE("atomic file: reading errors name the path", "[io][atomic]") {
  TempDir dir;
  require_error([&] { dae::io::read_file_bytes(dir / "missing"); }, {"missing", "not found"});
  require_error([&] { dae::io::read_file_bytes(dir.path()); }, {"is a directory"});
}

TEST_CASE("ensure_writable_directory", "[io][atomic]") {
  TempDir dir;
  const auto nested = dir / "a" / "b" / "c";
  dae::io::ensure_writable_directory(nested);
  CHECK(std::filesystem::is_directory(nested));
  CHECK(entries(nested) == 0);
  dae::io::ensure_writable_directory(nested);  // existing directory is fine
  write_bytes(dir / "file", bytes_of("x"));
  require_error([&] { dae::io::ensure_writable_directory(dir / "file"); },
                {(dir / "file").string(), "not a directory"});
  require_error([&] { dae::io::ensure_writable_directory(dir / "file" / "sub"); },
                {(dir / "file" / "sub").string(), "cannot create"});
  require_error([&] { dae::io::ensure_writable_directory(""); }, {"empty path"});
  CHECK(read_bytes(dir / "file") == bytes_of("x"));
}

TEST_CASE("remove_stale_temporaries clears what killed writes left, and nothing else", "[io][atomic]") {
  TempDir dir;
  dae::io::write_file_atomic(dir / "model.safetensors", std::string_view("kept"));
  for (const char* stale : {".model.safetensors.tmp.a1B2c3", ".metrics.jsonl.tmp.XyZ789", ".dae-write-probe.Q1w2E3"}) {
    std::ofstream(dir / stale) << "partial";
  }
  for (const char* kept : {".dae_mnist.lock", "notes.tmp.txt", ".hidden", "run.tmp.abcdef"}) {
    std::ofstream(dir / kept) << "user";
  }
  std::filesystem::create_directory(dir / ".folder.tmp.abcdef");  // not a file: left alone
  CHECK(dae::io::remove_stale_temporaries(dir.path()) == 3);
  CHECK(entries(dir.path()) == 6);
  CHECK(read_bytes(dir / "model.safetensors") == bytes_of("kept"));
  CHECK(dae::io::remove_stale_temporaries(dir.path()) == 0);
  CHECK(dae::io::remove_stale_temporaries(dir / "missing") == 0);
}
