#include "common/thread_pool.h"

#include "common/fp_mode.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace clara {
namespace {

thread_local bool tl_in_worker = false;

class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop_all(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    n = std::max(1, n);
    std::lock_guard<std::mutex> run_guard(run_mu_);
    stop_all();
    stop_ = false;
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
    {
      std::lock_guard<std::mutex> lk(mu_);
      ++generation_;
      call_ = call = Call{&fn, n, chunks, generation_, fp_mode_get()};
      done_ = 0;
      next_.store(tagged(generation_, 0));
    }
    cv_.notify_all();
    tl_in_worker = true;
    work(call);
    tl_in_worker = false;
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return done_ == chunks; });
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
      std::lock_guard<std::mutex> lk(mu_);
      if (++done_ == call.chunks) done_cv_.notify_all();
    }
  }
  void loop() {
    tl_in_worker = true;
    uint64_t seen = 0;
    for (;;) {
      Call call;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        call = call_;
      }
      work(call);
    }
  }
  void stop_all() {
    { std::lock_guard<std::mutex> lk(mu_); stop_ = true; }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mu_, run_mu_;
  std::condition_variable cv_, done_cv_;
  Call call_;
  int64_t done_ = 0;
  std::atomic<uint64_t> next_{0};
  uint64_t generation_ = 0;
  bool stop_ = false;
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
