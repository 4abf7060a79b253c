// N-API binding of the one-pass Adam update (native/kernels/adam.h). Arguments are trusted:
// src/native/adam.ts validates them first.
#include "common/fp_mode.h"
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/adam.h"

namespace {

double dnum(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }

// (p, m, v, g, pOut, mOut, vOut, lr, beta1, beta2, eps, bc1, bc2, weightDecay, decoupled)
Napi::Value Adam(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::AdamStep s{dnum(info[7]),  dnum(info[8]),  dnum(info[9]),  dnum(info[10]),
                    dnum(info[11]), dnum(info[12]), dnum(info[13]), info[14].ToBoolean().Value()};
  clara::adam_f32(s, clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]),
                  clara::typed_data<float>(info[2]), clara::typed_data<float>(info[3]),
                  clara::typed_data<float>(info[4]), clara::typed_data<float>(info[5]),
                  clara::typed_data<float>(info[6]), int64_t(clara::typed_length(info[0])));
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("adamF32", Napi::Function::New(env, Adam)); }

}  // namespace

CLARA_NAPI_MODULE(adam, Init);
