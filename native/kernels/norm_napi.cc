// N-API bindings of the group-normalisation kernels (native/kernels/norm.h). Arguments are
// trusted: src/native/norm.ts validates them first.
#include "common/fp_mode.h"
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/norm.h"

namespace {

int64_t num(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
const float* optional(const Napi::Value& v) { return v.IsNull() || v.IsUndefined() ? nullptr : clara::typed_data<float>(v); }

clara::NormGeom geom(const Napi::CallbackInfo& info) {
  return clara::NormGeom{num(info[0]), num(info[1]), num(info[2]), num(info[3]), info[4].As<Napi::Number>().FloatValue()};
}

clara::NormAct act(const Napi::Value& v) { return v.IsNumber() ? clara::NormAct(v.As<Napi::Number>().Int32Value()) : clara::NormAct::kNone; }
int64_t count(const Napi::Value& v) { return v.IsNull() || v.IsUndefined() ? 0 : int64_t(clara::typed_length(v)); }

// (s, v, c, g, eps, x, w | null, b | null, y, mean, var[, act (0 none, 1 relu, 2 prelu), alpha | null])
Napi::Value GroupNorm(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::group_norm_f32(geom(info), clara::typed_data<float>(info[5]), optional(info[6]), optional(info[7]),
                        clara::typed_data<float>(info[8]), clara::typed_data<float>(info[9]),
                        clara::typed_data<float>(info[10]), act(info[11]), optional(info[12]), count(info[12]));
  return info.Env().Undefined();
}

// (s, v, c, g, eps, dy, x, mean, var, w | null, dx, dw | null, db | null[, b | null, act, alpha | null,
//  dalpha | null])
Napi::Value GroupNormGrad(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::group_norm_grad_f32(geom(info), clara::typed_data<float>(info[5]), clara::typed_data<float>(info[6]),
                             clara::typed_data<float>(info[7]), clara::typed_data<float>(info[8]), optional(info[9]),
                             optional(info[13]), clara::typed_data<float>(info[10]),
                             const_cast<float*>(optional(info[11])), const_cast<float*>(optional(info[12])),
                             act(info[14]), optional(info[15]), count(info[15]), const_cast<float*>(optional(info[16])));
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("groupNormF32", Napi::Function::New(env, GroupNorm));
  exports.Set("groupNormGradF32", Napi::Function::New(env, GroupNormGrad));
}

}  // namespace

CLARA_NAPI_MODULE(norm, Init);
