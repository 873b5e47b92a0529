// dae_mnist under the faults real runs meet, each tried on the real binary: SIGINT/SIGTERM and
// SIGKILL at many moments of a training run (then --resume must end bit for bit where a run that
// was never stopped ends), a second run on the same --out, a file-size limit (EFBIG), a full disk
// and a read-only folder (a small tmpfs this test mounts: tagged [mount], reported as skipped
// where mounting is not allowed), and training that diverges. In every case: one line naming the
// file, tensor or flag, a non-zero exit, and what was saved before still whole.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/cli_harness.hpp"
#include "dae/io/safetensors.hpp"

extern char** environ;

namespace fs = std::filesystem;
using namespace dae_cli_test;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kInterruptedExit = 3;  // examples/dae_mnist/interrupt.hpp
const std::string kTrain = " --batch 64 --threads 2 --seed 11";

const fs::path& dataset() {
  static const fs::path folder = [] {
    const auto f = work_dir() / "data";
    write_dataset(f, 3000, 500);  // 2,400 training images: 38 batches of 64 an epoch
    return f;
  }();
  return folder;
}

std::string train_args(const fs::path& out, int epochs) {
  return "train --data " + dataset().string() + " --out " + out.string() + " --epochs " +
         std::to_string(epochs) + kTrain;
}

/// dae_mnist started in the background with stderr to a file, to be signalled and waited for.
class Spawned {
 public:
  explicit Spawned(const std::string& arguments)
      : err_(work_dir() / ("spawned_" + std::to_string(++count_) + ".txt")) {
    std::vector<std::string> words{DAE_MNIST_BIN};
    std::istringstream in(arguments);
    for (std::string w; in >> w;) words.push_back(w);
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
  }
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;
  ~Spawned() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int number) const { ::kill(pid_, number); }
  /// Waits for the end; the exit status, or -signal when a signal ended it.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  [[nodiscard]] std::string err() const { return read_text(err_); }

 private:
  static inline int count_ = 0;
  fs::path err_;
  pid_t pid_ = -1;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void sleep_for(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

/// Left behind only by a write that died before its rename (dae::io::write_file_atomic).
std::vector<std::string> temporaries(const fs::path& folder) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.path().filename().string().find(".tmp.") != std::string::npos)
      found.push_back(entry.path().string());
  }
  return found;
}

/// The run every interrupted one must end as: `epochs` epochs straight, with its wall time.
struct Reference {
  fs::path out;
  double seconds;
};
const Reference& straight_run() {
  static const Reference reference = [] {
    const auto out = work_dir() / "straight";
    const auto start = Clock::now();
    const auto r = dae_mnist(train_args(out, 3));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return Reference{out, seconds_since(start)};
  }();
  return reference;
}

void require_same_run(const fs::path& a, const fs::path& b) {
  CHECK(bytes_of(a / "model.safetensors") == bytes_of(b / "model.safetensors"));
  CHECK(bytes_of(a / "training_state.safetensors") == bytes_of(b / "training_state.safetensors"));
  CHECK(read_metrics(a / "metrics.jsonl").size() == read_metrics(b / "metrics.jsonl").size());
}

/// Trains `epochs` epochs into a fresh folder `name` (with no limits), for the cases that break
/// a later epoch.
fs::path trained(const std::string& name, int epochs) {
  const auto out = work_dir() / name;
  fs::remove_all(out);
  const auto r = dae_mnist(train_args(out, epochs));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return out;
}

/// A tmpfs of `bytes` at `folder`, unmounted at scope exit; false where mounting is not allowed.
class Tmpfs {
 public:
  Tmpfs(const fs::path& folder, std::size_t bytes) : folder_(folder) {
    fs::create_directories(folder);
    mounted_ = ::mount("tmpfs", folder.c_str(), "tmpfs", 0,
                       ("size=" + std::to_string(bytes)).c_str()) == 0;
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  ~Tmpfs() {
    if (mounted_) ::umount2(folder_.c_str(), MNT_DETACH);
  }
  [[nodiscard]] bool mounted() const { return mounted_; }
  bool remount(unsigned long flags, const std::string& options) {
    return ::mount("tmpfs", folder_.c_str(), "tmpfs", MS_REMOUNT | flags, options.c_str()) == 0;
  }

 private:
  fs::path folder_;
  bool mounted_ = false;
};

/// The exit status ctest reads as "skipped" (SKIP_RETURN_CODE of test_faults_mount).
[[noreturn]] void skip(const std::string& why) {
  std::fprintf(stderr, "skipped: %s\n", why.c_str());
  std::fflush(stderr);
  std::exit(77);  // static destructors still run: the work folder goes
}

void copy_folder(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("SIGINT or SIGTERM stops at a step, exits 3 with one line, and --resume ends bit for bit",
          "[signal]") {
  const auto& reference = straight_run();
  // Moments spread over the run; where the machine is fast enough that few land inside training,
  // more are tried earlier, so that both mid-epoch and end-of-epoch stops are always exercised.
  std::vector<double> moments = {0.05, 0.12, 0.2, 0.3, 0.4, 0.5, 0.6};
  int stopped = 0, mid_epoch = 0;
  for (std::size_t i = 0; i < moments.size() && i < 20; ++i) {
    const auto out = work_dir() / ("signalled_" + std::to_string(i));
    fs::remove_all(out);
    const int number = i % 2 == 0 ? SIGINT : SIGTERM;
    Spawned run(train_args(out, 3));
    sleep_for(moments[i] * reference.seconds);
    const auto signalled = Clock::now();
    run.signal(number);
    const int status = run.wait();
    const double stop_seconds = seconds_since(signalled);
    const std::string err = run.err();
    INFO("moment " << moments[i] << " of " << reference.seconds << " s, signal " << number << ": "
                   << err);
    if (status == 0) continue;  // finished before the signal
    REQUIRE(status == kInterruptedExit);
    ++stopped;
    CHECK(stop_seconds < 2.0);
    CHECK(error_lines(err).size() == 1);
    CHECK(err.find(number == SIGINT ? "SIGINT" : "SIGTERM") != std::string::npos);
    CHECK(err.find("--resume") != std::string::npos);
    if (err.find(", batch ") != std::string::npos && err.find(", batch 0 ") == std::string::npos)
      ++mid_epoch;
    CHECK(temporaries(out).empty());
    const auto resumed = dae_mnist(train_args(out, 3) + " --resume");
    INFO("resume: " << resumed.err);
    REQUIRE(resumed.exit_code == 0);
    require_same_run(out, reference.out);
    if (i + 1 == moments.size() && (stopped < 4 || mid_epoch < 2)) {
      moments.push_back(moments.front() * 0.5 + 0.01 * static_cast<double>(i % 5));
    }
  }
  CHECK(stopped >= 4);
  CHECK(mid_epoch >= 2);
}

TEST_CASE("A second Ctrl-C kills at once; what was saved stays whole", "[signal]") {
  const auto& reference = straight_run();
  const auto out = work_dir() / "twice";
  fs::remove_all(out);
  Spawned run(train_args(out, 3));
  sleep_for(0.3 * reference.seconds);
  run.signal(SIGINT);
  run.signal(SIGINT);
  const int status = run.wait();
  INFO(run.err());
  CHECK((status == -SIGINT || status == kInterruptedExit || status == 0));
  if (fs::exists(out / "training_state.safetensors")) {
    CHECK(temporaries(out).empty());
    const auto resumed = dae_mnist(train_args(out, 3) + " --resume");
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    require_same_run(out, reference.out);
  }
}

TEST_CASE(
    "SIGINT during run's steps after training: exit 3, and run --resume finishes the pipeline",
    "[signal]") {
  const auto out = work_dir() / "pipeline";
  const auto straight = work_dir() / "pipeline_straight";
  const std::string flags =
      " --data " + dataset().string() + " --epochs 1" + kTrain + " --n-init 3 --restarts 2";
  const auto start = Clock::now();
  REQUIRE(dae_mnist("run --out " + straight.string() + flags).exit_code == 0);
  const double whole = seconds_since(start);
  int after_training = 0;
  for (const double moment : {0.6, 0.7, 0.8, 0.9, 0.95}) {
    fs::remove_all(out);
    Spawned run("run --out " + out.string() + flags);
    sleep_for(moment * whole);
    run.signal(SIGINT);
    const int status = run.wait();
    const std::string err = run.err();
    INFO("moment " << moment << " of " << whole << " s: " << err);
    if (status == 0) continue;
    if (status == -SIGINT) {  // only in the instant after the last file, once the handler is gone
      CHECK(fs::exists(out / "report.html"));
      continue;
    }
    REQUIRE(status == kInterruptedExit);
    CHECK(error_lines(err).size() == 1);
    if (err.find("after training") != std::string::npos) ++after_training;
    const auto resumed = dae_mnist("run --out " + out.string() + flags + " --resume");
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(fs::exists(out / "report.html"));
    CHECK(bytes_of(out / "codes.npy") == bytes_of(straight / "codes.npy"));
    CHECK(bytes_of(out / "assignments.npy") == bytes_of(straight / "assignments.npy"));
  }
  CHECK(after_training >= 1);
}

TEST_CASE("SIGKILL at any moment leaves the last checkpoint whole and resumable", "[signal]") {
  const auto& reference = straight_run();
  int killed = 0;
  for (int i = 0; i < 10; ++i) {
    const auto out = work_dir() / ("killed_" + std::to_string(i));
    fs::remove_all(out);
    Spawned run(train_args(out, 3));
    sleep_for((0.05 + 0.06 * i) * reference.seconds);
    run.signal(SIGKILL);
    if (run.wait() != -SIGKILL) continue;
    ++killed;
    if (!fs::exists(out / "training_state.safetensors"))
      continue;  // killed before the first checkpoint
    // The state on disk is always a whole one, and the lock of the dead run does not block.
    CHECK_NOTHROW(dae::io::read_safetensors(out / "training_state.safetensors"));
    std::ofstream(out / ".model.safetensors.tmp.k1Lled") << "what a killed write leaves";
    const auto resumed = dae_mnist(train_args(out, 3) + " --resume");
    INFO("kill " << i << ": " << resumed.err);
    REQUIRE(resumed.exit_code == 0);
    require_same_run(out, reference.out);
    CHECK(temporaries(out).empty());
  }
  CHECK(killed >= 5);
}

TEST_CASE("A second train on the same --out refuses with one line; neither run is damaged",
          "[lock]") {
  const auto& reference = straight_run();
  const auto out = work_dir() / "locked";
  fs::remove_all(out);
  Spawned first(train_args(out, 3));
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!fs::exists(out / "reconstructions") && Clock::now() < deadline)
    sleep_for(0.002);  // made under the lock
  const auto second = dae_mnist(train_args(out, 3));
  const auto resuming = dae_mnist(train_args(out, 3) + " --resume");
  REQUIRE(first.wait() == 0);
  expect_failure(second, 2, "in use by another dae_mnist");
  CHECK(second.err.find("--out " + out.string()) != std::string::npos);
  CHECK(resuming.exit_code == 2);
  CHECK(resuming.err.find("in use") != std::string::npos);
  require_same_run(out, reference.out);
}

TEST_CASE("A file-size limit (EFBIG) gives one line naming the file and keeps the previous files",
          "[disk]") {
  const auto out = trained("size_limited", 1);
  const auto state = bytes_of(out / "training_state.safetensors");
  const auto model = bytes_of(out / "model.safetensors");
  // A limit between the model's size and the training state's, in the 512-byte blocks of the
  // POSIX shell's `ulimit -f` (std::system's /bin/sh): every other file fits, the state does not.
  const auto limit_blocks = (model.size() + 4096) / 512;
  REQUIRE(limit_blocks * 512 < state.size());
  const auto r = dae_mnist_in_shell("ulimit -f " + std::to_string(limit_blocks) + ";",
                                    train_args(out, 2) + " --resume");
  expect_failure(r, 1, "training_state.safetensors");
  CHECK(r.err.find("File too large") != std::string::npos);
  CHECK(bytes_of(out / "training_state.safetensors") == state);
  CHECK(temporaries(out).empty());
  const auto resumed = dae_mnist(train_args(out, 2) + " --resume");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
}

TEST_CASE(
    "Diverging training stops naming the epoch, batch and tensor, and saves nothing non-finite",
    "[diverge]") {
  SECTION("a learning rate far too large") {
    const auto out = work_dir() / "lr10";
    fs::remove_all(out);
    const auto r = dae_mnist("train --data " + dataset().string() + " --out " + out.string() +
                             " --epochs 3 --lr 10" + kTrain);
    expect_failure(r, 1, "training diverged at epoch ");
    CHECK(r.err.find(" holds non-finite values") != std::string::npos);
    CHECK(r.err.find("try a smaller --lr") != std::string::npos);
    if (fs::exists(out / "training_state.safetensors")) {
      const auto file = dae::io::read_safetensors(out / "training_state.safetensors");
      for (const auto& [name, tensor] : file.tensors) {
        if (tensor.dtype != dae::io::DType::F32) continue;
        for (const float v : tensor.values<float>()) REQUIRE(std::isfinite(v));
      }
    }
  }
  SECTION("a corrupted optimiser state: the first step makes a parameter infinite") {
    const auto out = trained("poisoned", 1);
    auto file = dae::io::read_safetensors(out / "training_state.safetensors");
    // A finite but enormous first moment over a zero second moment: Adam's step overflows.
    for (const auto& [suffix, value] :
         {std::pair<std::string, float>{".exp_avg", 3e38f}, {".exp_avg_sq", 0.0f}}) {
      auto& moment = file.tensors.at("optimizer.decoder.decoder_lin.0.weight" + suffix);
      std::vector<float> values(moment.values<float>().size(), value);
      moment = dae::io::make_tensor<float>(moment.shape, values);
    }
    dae::io::write_safetensors(out / "training_state.safetensors", file);
    const auto state = bytes_of(out / "training_state.safetensors");
    const auto model = bytes_of(out / "model.safetensors");
    const auto r = dae_mnist(train_args(out, 2) + " --resume");
    expect_failure(r, 1,
                   "training diverged at epoch 2, batch 1 of 38: decoder.decoder_lin.0.weight "
                   "holds non-finite values");
    CHECK(bytes_of(out / "training_state.safetensors") == state);
    CHECK(bytes_of(out / "model.safetensors") == model);
  }
  SECTION("a negative second moment is refused before training") {
    const auto out = trained("negative_moment", 1);
    auto file = dae::io::read_safetensors(out / "training_state.safetensors");
    auto& moment = file.tensors.at("optimizer.decoder.decoder_lin.0.weight.exp_avg_sq");
    auto values = moment.values<float>();
    values[2] = -1.0f;  // its square root is NaN
    moment = dae::io::make_tensor<float>(moment.shape, values);
    dae::io::write_safetensors(out / "training_state.safetensors", file);
    expect_failure(dae_mnist(train_args(out, 2) + " --resume"), 1,
                   "optimizer.decoder.decoder_lin.0.weight.exp_avg_sq");
  }
  SECTION("a state file holding NaN is refused before training") {
    const auto out = trained("nan_state", 1);
    auto file = dae::io::read_safetensors(out / "training_state.safetensors");
    auto& bias = file.tensors.at("model.encoder.encoder_lin.0.bias");
    auto values = bias.values<float>();
    values[5] = std::numeric_limits<float>::quiet_NaN();
    bias = dae::io::make_tensor<float>(bias.shape, values);
    dae::io::write_safetensors(out / "training_state.safetensors", file);
    expect_failure(dae_mnist(train_args(out, 2) + " --resume"), 1,
                   "model.encoder.encoder_lin.0.bias");
  }
}

TEST_CASE("A full disk: one line naming the file, no temporary left, the last checkpoint kept",
          "[mount]") {
  const auto source = trained("before_full", 1);
  std::size_t used = 0;
  for (const auto& entry : fs::recursive_directory_iterator(source)) {
    if (entry.is_regular_file()) used += (entry.file_size() + 4095) / 4096 * 4096;
  }
  const auto disk = work_dir() / "small_disk";
  // Room for what is there plus the new picture and small files, not for a second training state.
  Tmpfs tmpfs(disk, used + 256 * 1024);
  if (!tmpfs.mounted()) skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
  const auto out = disk / "run";
  copy_folder(source, out);
  const auto state = bytes_of(out / "training_state.safetensors");
  const auto r = dae_mnist(train_args(out, 2) + " --resume");
  expect_failure(r, 1, out.string());
  CHECK(r.err.find("No space left on device") != std::string::npos);
  CHECK(bytes_of(out / "training_state.safetensors") == state);
  CHECK(temporaries(out).empty());

  // Once there is room again, the same command finishes the run as if nothing had happened.
  REQUIRE(tmpfs.remount(0, "size=64m"));
  const auto resumed = dae_mnist(train_args(out, 2) + " --resume");
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  const auto straight = trained("after_full_straight", 2);
  CHECK(bytes_of(out / "model.safetensors") == bytes_of(straight / "model.safetensors"));
  CHECK(bytes_of(out / "training_state.safetensors") ==
        bytes_of(straight / "training_state.safetensors"));

  // A read-only folder is found before any training, and nothing in it changes.
  REQUIRE(tmpfs.remount(MS_RDONLY, "size=64m"));
  const auto kept = bytes_of(out / "training_state.safetensors");
  const auto ro = dae_mnist(train_args(out, 3) + " --resume");
  expect_failure(ro, 1, out.string());
  CHECK(ro.err.find("Read-only file system") != std::string::npos);
  CHECK(bytes_of(out / "training_state.safetensors") == kept);
}
