// What a call costs in memory and CPU time, for the hostile-input tests: a reader handed a small
// malicious file must fail with a clear error *and* cheaply, so that a gzip bomb or a header
// claiming terabytes cannot take a machine down.
//
// Each call runs in a forked child. The peak resident set is a high-water mark of a process, so
// measuring it in the test process would only ever see the worst case so far; in a fresh child
// the mark is reset (writing "5" to /proc/self/clear_refs sets VmHWM to the current RSS), read,
// the call made, read again. The child also gets an address-space limit (1 GiB above what it
// has), so that a reader that does try to allocate gigabytes fails there instead of exhausting
// the machine, and an alarm, so that one that loops is stopped. It reports through a pipe.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <new>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "dae/error.hpp"

namespace dae::test {

/// What one call did and cost, as measured in a child process.
struct CallCost {
  enum Outcome : int { kReturned, kDaeError, kOtherException, kDied } outcome = kDied;
  std::string message;        ///< what() of the exception, if any
  double rss_growth_mib = 0;  ///< peak resident set during the call minus before it
  double cpu_seconds = 0;     ///< user + system CPU time of the call
};

namespace detail {

inline long proc_status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::stol(line.substr(n + 1));
    }
  }
  return -1;
}

inline double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Report {
  int outcome;
  long rss_growth_kib;
  double cpu_seconds;
  char message[1024];
};

}  // namespace detail

/// Runs `fn` in a forked child and reports its outcome, peak RSS growth and CPU time.
/// @param fn the call; it must not need threads started before the fork.
/// @param seconds wall-clock limit of the child (it is killed after that: kDied).
/// @return the outcome and the costs; kDied when the child crashed or ran out of time.
template <class Fn>
CallCost measure_call(Fn&& fn, unsigned seconds = 30) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(seconds);
    const long vm_kib = detail::proc_status_kib("VmSize");
    if (vm_kib > 0) {
      const rlim_t limit = (static_cast<rlim_t>(vm_kib) << 10) + (rlim_t{1} << 30);
      const rlimit rl{limit, limit};
      ::setrlimit(RLIMIT_AS, &rl);
    }
    {
      std::ofstream clear("/proc/self/clear_refs");
      clear << "5";
    }
    detail::Report r{};
    const long before = detail::proc_status_kib("VmHWM");
    const double cpu_before = detail::cpu_now();
    auto keep = [&](const char* what) { std::snprintf(r.message, sizeof r.message, "%s", what); };
    try {
      fn();
      r.outcome = CallCost::kReturned;
    } catch (const dae::Error& e) {
      r.outcome = CallCost::kDaeError;
      keep(e.what());
    } catch (const std::exception& e) {
      r.outcome = CallCost::kOtherException;
      keep(e.what());
    }
    r.cpu_seconds = detail::cpu_now() - cpu_before;
    r.rss_growth_kib = detail::proc_status_kib("VmHWM") - before;
    const ssize_t written = ::write(fds[1], &r, sizeof r);
    ::_exit(written == static_cast<ssize_t>(sizeof r) ? 0 : 1);
  }
  ::close(fds[1]);
  detail::Report r{};
  std::size_t got = 0;
  while (got < sizeof r) {
    const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(&r) + got, sizeof r - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CallCost cost;
  if (got != sizeof r) {
    cost.message = WIFSIGNALED(status) ? "child killed by signal " + std::to_string(WTERMSIG(status))
                                       : "child exited without a report";
    return cost;
  }
  cost.outcome = static_cast<CallCost::Outcome>(r.outcome);
  cost.message = r.message;
  cost.rss_growth_mib = static_cast<double>(r.rss_growth_kib) / 1024.0;
  cost.cpu_seconds = r.cpu_seconds;
  return cost;
}

/// AddressSanitizer's redzones and shadow memory make every allocation cost about twice to three
/// times its size, and its quarantine keeps freed blocks resident; the bounds are for the plain
/// build, so a sanitized one gets this factor on both.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr double kSanitizerCostFactor = 4;
#else
inline constexpr double kSanitizerCostFactor = 1;
#endif

/// Requires `fn` to fail cheaply and clearly: it throws dae::Error, whose one-line message holds
/// every fragment (the file's name, the field), while its resident set grows by less than
/// `max_mib` and it uses less than `max_cpu_seconds` of CPU (each times kSanitizerCostFactor).
/// @param fn the call, run in a child process (see measure_call).
/// @param fragments substrings the message must contain.
/// @param max_mib bound on the peak RSS growth, MiB.
/// @param max_cpu_seconds bound on the CPU time, seconds.
template <class Fn>
void require_bounded_error(Fn&& fn, std::initializer_list<std::string_view> fragments,
                           double max_mib = 64, double max_cpu_seconds = 2) {
  const CallCost cost = measure_call(std::forward<Fn>(fn));
  INFO("outcome " << cost.outcome << ", message: " << cost.message << "; RSS growth "
                  << cost.rss_growth_mib << " MiB, CPU " << cost.cpu_seconds << " s");
  REQUIRE(cost.outcome == CallCost::kDaeError);
  CHECK(cost.message.find('\n') == std::string::npos);
  for (const auto f : fragments) CHECK(cost.message.find(f) != std::string::npos);
  CHECK(cost.rss_growth_mib < max_mib * kSanitizerCostFactor);
  CHECK(cost.cpu_seconds < max_cpu_seconds * kSanitizerCostFactor);
}

}  // namespace dae::test
