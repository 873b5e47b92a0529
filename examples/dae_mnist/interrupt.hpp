// Stopping dae_mnist cleanly on Ctrl-C (SIGINT) or SIGTERM. While a StopOnSignal is alive, those
// signals only set a flag; the training loop looks at it between steps, writes a resumable state
// and ends with `Interrupted`, which main() turns into exit status kInterruptedExit and one line
// saying how to resume. The handler is installed with SA_RESETHAND, so a second Ctrl-C kills the
// process the ordinary way: a user can always get out, and the atomic writes keep what was
// saved before. SIGXFSZ (a file-size limit, `ulimit -f`) is ignored so that the write fails with
// EFBIG and gets the usual one-line error naming the file, instead of killing the process.
#pragma once

#include <csignal>
#include <stdexcept>
#include <string>

namespace dae_mnist {

/// The exit status of a run stopped by SIGINT or SIGTERM after saving a resumable state.
inline constexpr int kInterruptedExit = 3;

/// Thrown where a stop request is honoured; `what()` is the one line main() prints.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
inline volatile std::sig_atomic_t stop_signal = 0;
extern "C" inline void record_stop_signal(int signal) { stop_signal = signal; }
}  // namespace detail

/// Installs the flag-setting handlers for SIGINT and SIGTERM for its lifetime (one at a time).
class StopOnSignal {
 public:
  StopOnSignal() {
    detail::stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = detail::record_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;  // no SA_RESTART needed: nothing here blocks on a read
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
  ~StopOnSignal() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

/// True once SIGINT or SIGTERM arrived under a StopOnSignal.
inline bool stop_requested() { return detail::stop_signal != 0; }

/// "SIGINT" or "SIGTERM", for the message.
inline std::string stop_signal_name() { return detail::stop_signal == SIGTERM ? "SIGTERM" : "SIGINT"; }

/// Lets a write past `ulimit -f` fail with EFBIG (reported, file named) instead of killing us.
inline void ignore_file_size_signal() { std::signal(SIGXFSZ, SIG_IGN); }

}  // namespace dae_mnist
