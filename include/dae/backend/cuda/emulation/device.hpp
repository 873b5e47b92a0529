// The CUDA programming model on the host CPU, for dae's own kernels: a *testing tool* (CMake option
// DAE_CUDA_EMULATION, docs/CUDA_EMULATION.md), so that every kernel runs in CI on machines
// without a GPU. The kernel sources are the ones nvcc compiles; this header gives the host
// compiler what nvcc would: the qualifiers (__global__, __device__, ...), the built-in indices
// (threadIdx, blockIdx, blockDim, gridDim), __syncthreads, __shfl_down_sync, the explicitly
// rounded intrinsics, per-block shared memory (DAE_SHARED) and the launch itself.
//
// How a launch runs: blocks one after the other; the threads of a block as fibers on
// the launching thread, each running until it reaches a barrier or returns. A barrier releases
// once every thread of the block (a warp exchange: every lane of the warp) has arrived; a
// barrier that some threads can never reach (they returned, or wait elsewhere) is an error, as
// compute-sanitizer's synccheck would report it. Faults are made to show:
//   - each launch runs twice, threads swept in ascending and then in descending index order
//     between barriers, from the same snapshot of device memory, and the two results must be
//     identical byte for byte: a missing barrier or a race between threads shows as a difference;
//   - each block's shared memory is a fresh heap block filled with 0xFF (NaN), so reading a word
//     nobody wrote gives NaN, and AddressSanitizer sees any index past a shared array's end;
//   - fresh device allocations are poisoned the same way (runtime.hpp).
// Environment: DAE_CUDA_EMULATION_ORDERS=1 runs the ascending order only (about half the time, no
// race check: the model and command-line tests use it, the per-kernel tests do not);
// DAE_CUDA_EMULATION_COVERAGE=FILE appends the name of every kernel launched to FILE at exit.
#pragma once

#include <ucontext.h>
#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "dae/backend/cuda/emulation/runtime.hpp"
#include "dae/rounding.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define DAE_EMULATION_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DAE_EMULATION_ASAN 1
#endif
#endif
#if defined(DAE_EMULATION_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

// ---- Switching between fibers ------------------------------------------------------------------
// On x86-64 a fiber switch saves the callee-saved registers and the FP control words on the old
// stack and loads the new stack pointer: a few nanoseconds, where swapcontext makes two system
// calls (the signal mask) per switch and took half of an emulated test's time. Elsewhere,
// ucontext. The symbol is weak so that every translation unit may carry the definition.
#if defined(__x86_64__) && defined(__ELF__)
#define DAE_EMULATION_FAST_SWITCH 1
extern "C" void dae_emulation_switch(void** save_stack_pointer, void* load_stack_pointer);
asm(R"(
  .text
  .weak dae_emulation_switch
  .type dae_emulation_switch, @function
dae_emulation_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $16, %rsp
  stmxcsr 8(%rsp)
  fnstcw 12(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr 8(%rsp)
  fldcw 12(%rsp)
  addq $16, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size dae_emulation_switch, .-dae_emulation_switch
)");
#endif

// ---- Qualifiers: plain host functions here ----------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)

namespace dae::emulation {

/// One GPU thread: a fiber with its own stack.
struct Fiber {
  enum class State { ready, at_block_barrier, at_warp_barrier, done, failed };
#if defined(DAE_EMULATION_FAST_SWITCH)
  void* stack_pointer = nullptr;  // saved while switched out
#else
  ucontext_t context{};
#endif
  void* stack = nullptr;
  std::size_t stack_bytes = 0;
  void* fake_stack = nullptr;  // AddressSanitizer's bookkeeping while switched out
  uint3 index{0, 0, 0};
  unsigned linear = 0;
  State state = State::done;
};

/// Runs launches: one at a time in the process, blocks in turn, threads as fibers.
class Executor {
 public:
  static Executor& instance() {
    static Executor executor;
    return executor;
  }
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Runs `thread_body` as every thread of a (grid, block) launch of kernel `name`; a failure is
  /// recorded as the launch's error (cudaGetLastError), as a faulting kernel on a GPU.
  void launch(const char* name, dim3 grid, dim3 block, const std::function<void()>& thread_body) {
    std::lock_guard lock(mutex_);
    launched_.insert(name);
    const unsigned long long threads = 1ULL * block.x * block.y * block.z;
    if (threads == 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
        grid.y > 65535 || grid.z > 65535) {
      Runtime::instance().record(cudaErrorInvalidConfiguration,
                                 std::string("launch of ") + name + ": invalid configuration (grid " +
                                     extent(grid) + ", block " + extent(block) + ")");
      return;
    }
    kernel_name_ = name;
    body_ = &thread_body;
    grid_ = grid;
    block_ = block;
    if (orders() == 1) {
      run_grid(false);
    } else {
      Runtime::instance().snapshot(before_);
      if (run_grid(false)) {
        Runtime::instance().snapshot(ascending_);
        for (const auto& [start, bytes] : before_) std::memcpy(start, bytes.data(), bytes.size());
        if (run_grid(true)) compare_orders(ascending_);
      }
    }
    body_ = nullptr;
  }

  // ---- Called from inside a kernel (on a fiber) ----
  [[nodiscard]] const uint3& thread_index() const { return current_->index; }
  [[nodiscard]] const uint3& block_index() const { return block_index_; }
  [[nodiscard]] const dim3& block_dim() const { return block_; }
  [[nodiscard]] const dim3& grid_dim() const { return grid_; }

  void block_barrier() { wait(Fiber::State::at_block_barrier); }

  /// The per-warp exchange of __shfl_down_sync: returns `value` of lane + delta of this warp's
  /// segment of `width` lanes, or the caller's own value when that lane is outside it.
  template <class T>
  T shuffle_down(unsigned mask, T value, unsigned delta, int width) {
    static_assert(sizeof(T) <= sizeof(std::uint64_t) && std::is_trivially_copyable_v<T>,
                  "__shfl_down_sync: values of at most 8 bytes");
    const unsigned lane = current_->linear % 32, warp = current_->linear / 32;
    if (mask != warp_mask(warp))
      fail("__shfl_down_sync: mask " + hex(mask) + " is not the full mask " + hex(warp_mask(warp)) +
           " of warp " + std::to_string(warp) + " (every lane must take part)");
    if (width <= 0 || width > 32 || (width & (width - 1)) != 0)
      fail("__shfl_down_sync: width " + std::to_string(width) + " is not a power of two <= 32");
    std::memcpy(&exchange_[current_->linear], &value, sizeof(T));
    wait(Fiber::State::at_warp_barrier);
    const unsigned segment_end = lane / static_cast<unsigned>(width) * static_cast<unsigned>(width) +
                                 static_cast<unsigned>(width);
    T result = value;
    if (lane + delta < segment_end && warp * 32 + lane + delta < block_threads())
      std::memcpy(&result, &exchange_[warp * 32 + lane + delta], sizeof(T));
    wait(Fiber::State::at_warp_barrier);  // nobody overwrites a slot before every lane has read
    return result;
  }

  /// Fresh, poisoned storage for one shared-memory variable of the running block.
  void* allocate_shared(std::size_t bytes) {
    shared_bytes_ += bytes;
    if (shared_bytes_ > kMaxSharedBytes)
      fail("shared memory of a block exceeds " + std::to_string(kMaxSharedBytes) + " bytes");
    void* storage = std::malloc(bytes);
    if (storage == nullptr) fail("out of host memory for shared memory");
    std::memset(storage, kPoisonByte, bytes);
    shared_.push_back(storage);
    return storage;
  }
  /// Identifies the running block: shared variables are re-created whenever it changes.
  [[nodiscard]] std::uint64_t block_serial() const { return block_serial_; }

  /// Stops the running block with an error (recorded for the launch).
  [[noreturn]] void fail(const std::string& reason) {
    if (failure_.empty()) failure_ = reason;
    current_->state = Fiber::State::failed;
    switch_to_scheduler(false);
    std::abort();  // a failed fiber is never resumed
  }

 private:
  static constexpr std::size_t kMaxSharedBytes = 48 * 1024;  // static shared memory per block
#if defined(DAE_EMULATION_ASAN)
  static constexpr std::size_t kStackBytes = 512 * 1024;
#else
  static constexpr std::size_t kStackBytes = 128 * 1024;
#endif

  Executor() = default;
  ~Executor() {
    if (const char* path = std::getenv("DAE_CUDA_EMULATION_COVERAGE"); path != nullptr && *path != '\0') {
      if (std::FILE* file = std::fopen(path, "a")) {
        for (const std::string& name : launched_) std::fprintf(file, "%s\n", name.c_str());
        std::fclose(file);
      }
    }
    for (Fiber& fiber : fibers_)
      if (fiber.stack != nullptr) munmap(fiber.stack, fiber.stack_bytes);
  }

  static int orders() {
    static const int value = [] {
      const char* text = std::getenv("DAE_CUDA_EMULATION_ORDERS");
      return text != nullptr && std::string(text) == "1" ? 1 : 2;
    }();
    return value;
  }
  static std::string extent(dim3 d) {
    return std::to_string(d.x) + "x" + std::to_string(d.y) + "x" + std::to_string(d.z);
  }
  static std::string hex(unsigned value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08X", value);
    return text;
  }
  [[nodiscard]] unsigned block_threads() const { return block_.x * block_.y * block_.z; }
  [[nodiscard]] unsigned warp_mask(unsigned warp) const {
    const unsigned lanes = std::min(32u, block_threads() - warp * 32);
    return lanes == 32 ? 0xFFFFFFFFu : (1u << lanes) - 1u;
  }

  /// Every block of the launch; false (with the error recorded) if one failed.
  bool run_grid(bool descending) {
    for (unsigned z = 0; z < grid_.z; ++z)
      for (unsigned y = 0; y < grid_.y; ++y)
        for (unsigned x = 0; x < grid_.x; ++x) {
          block_index_ = {x, y, z};
          if (!run_block(descending)) {
            Runtime::instance().record(cudaErrorLaunchFailure,
                                       std::string("kernel ") + kernel_name_ + ", block (" + std::to_string(x) +
                                           "," + std::to_string(y) + "," + std::to_string(z) + "), " +
                                           (descending ? "descending" : "ascending") +
                                           " thread order: " + failure_);
            return false;
          }
        }
    return true;
  }

  bool run_block(bool descending) {
    const unsigned count = block_threads();
    ++block_serial_;
    shared_bytes_ = 0;
    failure_.clear();
    if (fibers_.size() < count) fibers_.resize(count);
    exchange_.assign(count, 0);
    for (unsigned t = 0; t < count; ++t) start_fiber(fibers_[t], t);
    bool ok = true;
    do {
      for (unsigned k = 0; k < count && ok; ++k) {
        Fiber& fiber = fibers_[descending ? count - 1 - k : k];
        if (fiber.state != Fiber::State::ready) continue;
        current_ = &fiber;
        switch_to_fiber(fiber);
        ok = fiber.state != Fiber::State::failed;
      }
    } while (ok && release_barriers(count, ok));
    for (void* storage : shared_) std::free(storage);
    shared_.clear();
    current_ = nullptr;
    return ok;
  }

  /// After a sweep (no thread ready): releases complete barriers; true if threads remain to
  /// run. Sets ok = false, with the reason, for a barrier that can never complete.
  bool release_barriers(unsigned count, bool& ok) {
    unsigned waiting_block = 0, done = 0;
    bool released = false;
    for (unsigned warp = 0; warp * 32 < count; ++warp) {
      const unsigned first = warp * 32, last = std::min(count, first + 32);
      unsigned at_warp = 0;
      for (unsigned t = first; t < last; ++t) at_warp += fibers_[t].state == Fiber::State::at_warp_barrier;
      if (at_warp == 0) continue;
      if (at_warp != last - first) {
        failure_ = "__shfl_down_sync reached by " + std::to_string(at_warp) + " of the " +
                   std::to_string(last - first) + " lanes of warp " + std::to_string(warp) +
                   " (the others returned or wait at __syncthreads)";
        ok = false;
        return false;
      }
      for (unsigned t = first; t < last; ++t) fibers_[t].state = Fiber::State::ready;
      released = true;
    }
    if (released) return true;
    for (unsigned t = 0; t < count; ++t) {
      waiting_block += fibers_[t].state == Fiber::State::at_block_barrier;
      done += fibers_[t].state == Fiber::State::done;
    }
    if (waiting_block == 0) return false;
    if (done != 0) {
      failure_ = "__syncthreads reached by " + std::to_string(waiting_block) + " threads while " +
                 std::to_string(done) + " threads of the block have returned (a barrier in divergent code)";
      ok = false;
      return false;
    }
    for (unsigned t = 0; t < count; ++t) fibers_[t].state = Fiber::State::ready;
    return true;
  }

  void start_fiber(Fiber& fiber, unsigned linear) {
    if (fiber.stack == nullptr) {
      fiber.stack = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                         -1, 0);
      if (fiber.stack == MAP_FAILED) {
        std::fprintf(stderr, "dae CUDA emulation: cannot map a fiber stack\n");
        std::abort();
      }
      fiber.stack_bytes = kStackBytes;
    }
#if defined(DAE_EMULATION_ASAN)
    // A fiber that returned leaves only fiber_entry's frame marked at the top of its stack; one
    // abandoned in the middle of a kernel (a failed block) may leave any depth. Unpoisoning the
    // whole stack each time was 60 % of an emulated test's time.
    const std::size_t marked = fiber.state == Fiber::State::done ? std::size_t{16 * 1024} : fiber.stack_bytes;
    __asan_unpoison_memory_region(static_cast<char*>(fiber.stack) + fiber.stack_bytes - marked, marked);
#endif
#if defined(DAE_EMULATION_FAST_SWITCH)
    // The frame dae_emulation_switch pops: FP control words, six registers, then the "return
    // address" fiber_entry, entered with the stack aligned as after a call.
    auto* top = reinterpret_cast<std::uintptr_t*>(
        (reinterpret_cast<std::uintptr_t>(fiber.stack) + fiber.stack_bytes) & ~std::uintptr_t{15});
    std::uintptr_t* frame = top - 10;
    frame[9] = 0;  // fiber_entry's "return address" slot: it never returns
    frame[8] = reinterpret_cast<std::uintptr_t>(&Executor::fiber_entry);
    for (int r = 2; r < 8; ++r) frame[r] = 0;
    const std::uint32_t mxcsr = 0x1F80;  // the x86-64 ABI's initial control words
    const std::uint16_t fpcw = 0x037F;
    frame[0] = 0;
    std::memcpy(reinterpret_cast<char*>(frame) + 8, &mxcsr, 4);
    std::memcpy(reinterpret_cast<char*>(frame) + 12, &fpcw, 2);
    fiber.stack_pointer = frame;
#else
    getcontext(&fiber.context);
    fiber.context.uc_stack.ss_sp = fiber.stack;
    fiber.context.uc_stack.ss_size = fiber.stack_bytes;
    fiber.context.uc_link = nullptr;
    makecontext(&fiber.context, &Executor::fiber_entry, 0);
#endif
    fiber.linear = linear;
    fiber.index = {linear % block_.x, linear / block_.x % block_.y, linear / (block_.x * block_.y)};
    fiber.state = Fiber::State::ready;
    fiber.fake_stack = nullptr;
  }

  static void fiber_entry() {
    Executor& self = instance();
#if defined(DAE_EMULATION_ASAN)
    __sanitizer_finish_switch_fiber(nullptr, &self.scheduler_stack_bottom_, &self.scheduler_stack_size_);
#endif
    (*self.body_)();
    self.current_->state = Fiber::State::done;
    self.switch_to_scheduler(true);
  }

  void wait(Fiber::State state) {
    current_->state = state;
    switch_to_scheduler(false);
  }

  void switch_to_fiber(Fiber& fiber) {
#if defined(DAE_EMULATION_ASAN)
    __sanitizer_start_switch_fiber(&scheduler_fake_stack_, fiber.stack, fiber.stack_bytes);
#endif
#if defined(DAE_EMULATION_FAST_SWITCH)
    dae_emulation_switch(&scheduler_stack_pointer_, fiber.stack_pointer);
#else
    swapcontext(&scheduler_, &fiber.context);
#endif
#if defined(DAE_EMULATION_ASAN)
    __sanitizer_finish_switch_fiber(scheduler_fake_stack_, nullptr, nullptr);
#endif
  }

  void switch_to_scheduler(bool finished) {
    Fiber& fiber = *current_;
#if defined(DAE_EMULATION_ASAN)
    __sanitizer_start_switch_fiber(finished ? nullptr : &fiber.fake_stack, scheduler_stack_bottom_,
                                   scheduler_stack_size_);
#else
    (void)finished;
#endif
#if defined(DAE_EMULATION_FAST_SWITCH)
    dae_emulation_switch(&fiber.stack_pointer, scheduler_stack_pointer_);
#else
    swapcontext(&fiber.context, &scheduler_);
#endif
#if defined(DAE_EMULATION_ASAN)
    __sanitizer_finish_switch_fiber(fiber.fake_stack, &scheduler_stack_bottom_, &scheduler_stack_size_);
#endif
  }

  void compare_orders(const Runtime::Snapshot& ascending) {
    for (std::size_t a = 0; a < ascending.size(); ++a) {
      const auto& [start, bytes] = ascending[a];
      if (std::memcmp(start, bytes.data(), bytes.size()) == 0) continue;
      std::size_t offset = 0;
      while (start[offset] == bytes[offset]) ++offset;
      Runtime::instance().record(
          cudaErrorLaunchFailure,
          std::string("kernel ") + kernel_name_ +
              ": device memory differs between ascending and descending thread order (an allocation of " +
              std::to_string(bytes.size()) + " bytes, first at byte " + std::to_string(offset) +
              "): a data race between threads or a missing __syncthreads");
      return;
    }
  }

  std::mutex mutex_;
  Runtime::Snapshot before_, ascending_;  // device memory before the launch, after the first order
  std::set<std::string> launched_;
  const char* kernel_name_ = "";
  const std::function<void()>* body_ = nullptr;
  dim3 grid_, block_;
  uint3 block_index_{0, 0, 0};
  std::uint64_t block_serial_ = 0;
  std::vector<Fiber> fibers_;
  Fiber* current_ = nullptr;
#if defined(DAE_EMULATION_FAST_SWITCH)
  void* scheduler_stack_pointer_ = nullptr;
#else
  ucontext_t scheduler_{};
#endif
  void* scheduler_fake_stack_ = nullptr;
  const void* scheduler_stack_bottom_ = nullptr;
  std::size_t scheduler_stack_size_ = 0;
  std::vector<std::uint64_t> exchange_;
  std::vector<void*> shared_;
  std::size_t shared_bytes_ = 0;
  std::string failure_;
};

/// One `DAE_SHARED` variable: one instance per running block, created (poisoned) on first use.
template <class T>
class SharedVariable {
  static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>,
                "DAE_SHARED: shared memory holds trivial types only, as on a GPU");

 public:
  T& get() {
    Executor& executor = Executor::instance();
    if (serial_ != executor.block_serial()) {
      storage_ = static_cast<T*>(executor.allocate_shared(sizeof(T)));
      serial_ = executor.block_serial();
    }
    return *storage_;
  }

 private:
  std::uint64_t serial_ = 0;
  T* storage_ = nullptr;
};

/// Runs `kernel(args...)` as every thread of (grid, block): what <<<grid, block, 0, stream>>> does.
template <class... Params, class... Args>
void launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, cudaStream_t, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "launch: wrong number of kernel arguments");
  const std::tuple<std::decay_t<Params>...> parameters(static_cast<std::decay_t<Params>>(args)...);
  const std::function<void()> thread_body = [&] {
    std::apply([&](const auto&... p) { kernel(p...); }, parameters);  // each thread its own copies
  };
  Executor::instance().launch(name, grid, block, thread_body);
}

}  // namespace dae::emulation

// ---- Built-in variables and functions ---------------------------------------------------------
#define threadIdx (::dae::emulation::Executor::instance().thread_index())
#define blockIdx (::dae::emulation::Executor::instance().block_index())
#define blockDim (::dae::emulation::Executor::instance().block_dim())
#define gridDim (::dae::emulation::Executor::instance().grid_dim())

inline void __syncthreads() { ::dae::emulation::Executor::instance().block_barrier(); }

template <class T>
T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = 32) {
  return ::dae::emulation::Executor::instance().shuffle_down(mask, value, delta, width);
}

// One rounding each, never contracted (the intrinsics' guarantee): see dae/rounding.hpp.
inline float __fadd_rn(float a, float b) { return ::dae::detail::opaque(a + b); }
inline float __fmul_rn(float a, float b) { return ::dae::detail::opaque(a * b); }
inline float __fdiv_rn(float a, float b) { return ::dae::detail::opaque(a / b); }
inline float __fsqrt_rn(float a) { return ::dae::detail::opaque(std::sqrt(a)); }
inline float __fmaf_rn(float a, float b, float c) { return ::dae::detail::opaque(std::fma(a, b, c)); }
inline double __dadd_rn(double a, double b) { return ::dae::detail::opaque(a + b); }
inline double __dmul_rn(double a, double b) { return ::dae::detail::opaque(a * b); }
inline double __fma_rn(double a, double b, double c) { return ::dae::detail::opaque(std::fma(a, b, c)); }
