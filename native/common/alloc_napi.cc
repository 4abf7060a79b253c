// Large-buffer policy of the C allocator. Volumes (a 256³ float32 image is 64 MiB) are
// allocated and dropped all the time by the data pipeline; glibc serves every block above its
// mmap threshold (at most 32 MiB by default) with a fresh mmap, so each new volume pays one
// page fault per 4 KiB on first touch — measured here: a fresh 64 MiB Float32Array filled at
// 2.2 GB/s against 24-41 GB/s into reused memory. Raising the mmap and trim thresholds keeps
// freed blocks in the heap, and a new ArrayBuffer (calloc) then costs a memset instead.
// The values come validated from src/native/alloc.ts.
#include "common/napi_module.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

Napi::Value KeepLargeBuffers(const Napi::CallbackInfo& info) {
  bool ok = false;
#if defined(__GLIBC__)
  const int mmap_threshold = info[0].As<Napi::Number>().Int32Value();
  const int trim_threshold = info[1].As<Napi::Number>().Int32Value();
  ok = mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1 && ok;
#endif
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Value MallocStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  Napi::Object o = Napi::Object::New(env);
  o.Set("heapBytes", static_cast<double>(m.arena));
  o.Set("mmappedBytes", static_cast<double>(m.hblkhd));
  return o;
#else
  return env.Null();
#endif
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("keepLargeBuffers", Napi::Function::New(env, KeepLargeBuffers));
  exports.Set("mallocStats", Napi::Function::New(env, MallocStats));
}

}  // namespace

CLARA_NAPI_MODULE(alloc, Init);
