// N-API binding of the one-pass Adam update (native/kernels/adam.h). Arguments are trusted:
// src/native/adam.ts validates them first.
#include "common/fp_mode.h"
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/adam.h"

#include <vector>

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

// (ps, ms, vs, gs: arrays of Float32Array, lr, beta1, beta2, eps, bc1, bc2, weightDecay, decoupled):
// every p, m, v updated in place
Napi::Value AdamMulti(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::AdamStep s{dnum(info[4]),  dnum(info[5]),  dnum(info[6]),  dnum(info[7]),
                    dnum(info[8]), dnum(info[9]), dnum(info[10]), info[11].ToBoolean().Value()};
  const Napi::Array ps = info[0].As<Napi::Array>(), ms = info[1].As<Napi::Array>(), vs = info[2].As<Napi::Array>(),
                    gs = info[3].As<Napi::Array>();
  std::vector<clara::AdamTensor> ts(ps.Length());
  for (uint32_t i = 0; i < ps.Length(); ++i) {
    const Napi::Value p = ps[i];
    ts[i] = clara::AdamTensor{clara::typed_data<float>(p), clara::typed_data<float>(ms[i]), clara::typed_data<float>(vs[i]),
                              clara::typed_data<float>(gs[i]), int64_t(clara::typed_length(p))};
  }
  clara::adam_f32_multi(s, ts.data(), int64_t(ts.size()));
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("adamF32", Napi::Function::New(env, Adam));
  exports.Set("adamF32InPlace", Napi::Function::New(env, AdamMulti));
}

}  // namespace

CLARA_NAPI_MODULE(adam, Init);
