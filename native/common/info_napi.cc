// info() and thread control.
#include "common/cuda_runtime.h"
#include "common/napi_module.h"
#include "common/thread_pool.h"

#ifndef CLARA_NATIVE_VERSION
#define CLARA_NATIVE_VERSION "0.1.0"
#endif

namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", CLARA_NATIVE_VERSION);
  o.Set("cuda", clara::cuda_compiled());
  o.Set("gpuCount", clara::cuda_device_count());
  o.Set("threads", clara::num_threads());
#if defined(__AVX512BF16__)
  o.Set("bf16Dot", true);
#else
  o.Set("bf16Dot", false);
#endif
#if defined(__AVX512F__)
  o.Set("simd", "avx512");
#elif defined(__AVX2__)
  o.Set("simd", "avx2");
#else
  o.Set("simd", "generic");
#endif
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  clara::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(info.Env(), clara::num_threads());
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
}

}  // namespace

CLARA_NAPI_MODULE(info, Init);
