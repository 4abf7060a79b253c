// N-API binding of the middle-axis sum (native/kernels/reduce.h). Arguments are trusted:
// src/native/reduce.ts validates them first.
#include "common/fp_mode.h"
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/reduce.h"

namespace {

int64_t num(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }

// (x, outer, mid, inner, out)
Napi::Value SumMiddle(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::sum_middle_f32(clara::typed_data<float>(info[0]), num(info[1]), num(info[2]), num(info[3]),
                        clara::typed_data<float>(info[4]));
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("sumMiddleF32", Napi::Function::New(env, SumMiddle)); }

}  // namespace

CLARA_NAPI_MODULE(reduce, Init);
