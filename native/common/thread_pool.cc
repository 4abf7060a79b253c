#include "common/thread_pool.h"

#include "common/fp_mode.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace clara {
namespace {

thread_local bool tl_in_worker = false;

// Workers that have just finished a call spin for a short while (CLARA_SPIN_US, default
// 200 µs) before they sleep on the condition variable: a training step issues a kernel call
// every few tens of microseconds, and a futex wake-up of a sleeping worker costs about as
// much, so without the spin the caller had done most chunks alone before the worker woke
// (one unet-example step used 1.1 of 2 cores). OpenMP runtimes spin the same way.
int64_t spin_ns() {
  static const int64_t ns = [] {
    if (const char* env = std::getenv("CLARA_SPIN_US")) {
      char* end = nullptr;
      const long v = std::strtol(env, &end, 10);
      if (end != env && v >= 0) return int64_t(v) * 1000;
    }
    return int64_t(200) * 1000;
  }();
  return ns;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop_all(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    n = std::max(1, n);
    std::lock_guard<std::mutex> run_guard(run_mu_);
    stop_all();
    stop_.store(false);
    for (int i = 0; i < n - 1; ++i) workers_.emplace_back([this] { loop(); });
  }

  void run(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    // Up to 4 chunks per thread, taken dynamically: on a shared machine a thread
    // that loses its core for a while no longer holds up the whole call.
    int64_t chunks = std::min<int64_t>(int64_t(size()) * 4, (n + grain - 1) / grain);
    if (size() <= 1 || chunks <= 1 || tl_in_worker) { fn(0, n); return; }
    std::lock_guard<std::mutex> run_guard(run_mu_);
    Call call;
    bool wake = false;
    {
      std::lock_guard<std::mutex> lk(mu_);
      const uint64_t g = generation_.load(std::memory_order_relaxed) + 1;
      call_ = call = Call{&fn, n, chunks, g, fp_mode_get()};
      done_.store(0, std::memory_order_relaxed);
      next_.store(tagged(g, 0));
      generation_.store(g, std::memory_order_release);
      wake = sleepers_ > 0;
    }
    if (wake) cv_.notify_all();
    tl_in_worker = true;
    work(call);
    tl_in_worker = false;
    // The other chunks are short: spin for them, then yield, then sleep.
    for (int spins = 0; done_.load(std::memory_order_acquire) != chunks; ++spins) {
      if (spins < 4096) {
        cpu_relax();
      } else if (spins < 8192) {
        std::this_thread::yield();
      } else {
        std::unique_lock<std::mutex> lk(mu_);
        caller_waiting_ = true;
        done_cv_.wait(lk, [&] { return done_.load(std::memory_order_acquire) == chunks; });
        caller_waiting_ = false;
        break;
      }
    }
  }

 private:
  // One call's work, as the thread that takes part saw it under mu_.
  struct Call {
    const std::function<void(int64_t, int64_t)>* fn = nullptr;
    int64_t n = 0, chunks = 0;
    uint64_t generation = 0;
    unsigned fp_mode = 0;
  };
  // The chunk counter carries the call's generation in its high half, so a thread
  // still in an earlier call can never claim (and count) a chunk of the next one.
  static uint64_t tagged(uint64_t generation, uint64_t chunk) { return (generation << 32) | chunk; }

  void work(const Call& call) {
    // Workers compute in the caller's floating-point mode (e.g. flush denormals).
    const unsigned own = fp_mode_get();
    const bool other = own != call.fp_mode;
    if (other) fp_mode_set(call.fp_mode);
    struct Restore {
      bool on; unsigned m;
      ~Restore() { if (on) fp_mode_set(m); }
    } restore{other, own};
    const uint64_t gen = call.generation & 0xffffffffu;
    for (;;) {
      uint64_t v = next_.load();
      if ((v >> 32) != gen) return;
      const int64_t c = int64_t(v & 0xffffffffu);
      if (c >= call.chunks) return;
      if (!next_.compare_exchange_weak(v, v + 1)) continue;
      const int64_t b = call.n * c / call.chunks, e = call.n * (c + 1) / call.chunks;
      (*call.fn)(b, e);
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == call.chunks) {
        std::lock_guard<std::mutex> lk(mu_);
        if (caller_waiting_) done_cv_.notify_all();
      }
    }
  }
  void loop() {
    tl_in_worker = true;
    uint64_t seen = 0;
    using clock = std::chrono::steady_clock;
    for (;;) {
      // Spin a while for the next call before sleeping.
      const auto until = clock::now() + std::chrono::nanoseconds(spin_ns());
      for (int i = 0; generation_.load(std::memory_order_acquire) == seen && !stop_.load(std::memory_order_relaxed); ++i) {
        cpu_relax();
        if ((i & 63) == 63 && clock::now() >= until) break;
      }
      Call call;
      {
        std::unique_lock<std::mutex> lk(mu_);
        if (generation_.load(std::memory_order_relaxed) == seen && !stop_.load()) {
          ++sleepers_;
          cv_.wait(lk, [&] { return stop_.load() || generation_.load(std::memory_order_relaxed) != seen; });
          --sleepers_;
        }
        if (stop_.load()) return;
        seen = generation_.load(std::memory_order_relaxed);
        call = call_;
      }
      work(call);
    }
  }
  void stop_all() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mu_, run_mu_;
  std::condition_variable cv_, done_cv_;
  Call call_;
  std::atomic<int64_t> done_{0};
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  int sleepers_ = 0;
  bool caller_waiting_ = false;
};

int default_threads() {
  if (const char* env = std::getenv("CLARA_NUM_THREADS")) {
    int v = std::atoi(env);
    if (v > 0) return v;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

Pool& pool() {
  static Pool p(default_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  pool().run(n, grain, fn);
}

}  // namespace clara
