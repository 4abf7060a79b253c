// A small fixed-size thread pool with a blocking parallel_for.
// Plain C++ (no N-API): used by the CPU kernels and by the ctest programs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

namespace clara {

// Number of worker threads used by parallel_for (>= 1). Defaults to the
// CLARA_NUM_THREADS environment variable, else std::thread::hardware_concurrency().
int num_threads();
// Changes the number of threads for later parallel_for calls (clamped to >= 1).
void set_num_threads(int n);

// Runs fn(begin, end) over [0, n) split into contiguous chunks of at least `grain`
// items, at most 4 chunks per thread, handed out dynamically; returns when every chunk is done. Calls
// from inside a worker run serially (no nested parallelism).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace clara
