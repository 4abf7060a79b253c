// N-API bindings of the PReLU kernels (native/kernels/prelu.h). Arguments are trusted:
// src/native/prelu.ts validates them first.
#include "common/fp_mode.h"
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/prelu.h"

namespace {

int64_t num(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }

// (x, alpha, y, c)
Napi::Value Prelu(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::prelu_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]),
                   int64_t(clara::typed_length(info[1])), clara::typed_data<float>(info[2]),
                   int64_t(clara::typed_length(info[0])), num(info[3]));
  return info.Env().Undefined();
}

// (dy, x, alpha, dx, dalpha, c)
Napi::Value PreluGrad(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::prelu_grad_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]),
                        clara::typed_data<float>(info[2]), int64_t(clara::typed_length(info[2])),
                        clara::typed_data<float>(info[3]), clara::typed_data<float>(info[4]),
                        int64_t(clara::typed_length(info[1])), num(info[5]));
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("preluF32", Napi::Function::New(env, Prelu));
  exports.Set("preluGradF32", Napi::Function::New(env, PreluGrad));
}

}  // namespace

CLARA_NAPI_MODULE(prelu, Init);
