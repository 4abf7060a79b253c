// N-API bindings of the AMX detection, its run time switches and the AMX peak probe.
#include "common/napi_module.h"
#include "kernels/amx.h"
#include "kernels/conv3d_amx.h"

namespace {

// () -> { usable, reason, fp32ThreeProducts }
Napi::Value AmxStatus(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("usable", clara::amx_usable());
  o.Set("reason", clara::amx_reason());
  o.Set("fp32ThreeProducts", clara::amx_fp32_three_products());
  return o;
}

// (on) -> whether AMX is now usable
Napi::Value SetAmx(const Napi::CallbackInfo& info) {
  clara::amx_set_enabled(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), clara::amx_usable());
}

// (on) -> the new setting
Napi::Value SetAmxFp32(const Napi::CallbackInfo& info) {
  clara::amx_set_fp32_three_products(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), clara::amx_fp32_three_products());
}

// (threads, seconds) -> GFLOP/s of tdpbf16ps (0 where AMX is not usable)
Napi::Value AmxPeak(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), clara::amx_peak_gflops(info[0].As<Napi::Number>().Int32Value(),
                                                              info[1].As<Napi::Number>().DoubleValue()));
}

// () -> { forward, backpropInput, backpropFilter }: calls that ran on the AMX tiles so far
Napi::Value AmxCalls(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("forward", double(clara::conv3d_amx_calls(0)));
  o.Set("backpropInput", double(clara::conv3d_amx_calls(1)));
  o.Set("backpropFilter", double(clara::conv3d_amx_calls(2)));
  return o;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("amxStatus", Napi::Function::New(env, AmxStatus));
  exports.Set("setAmx", Napi::Function::New(env, SetAmx));
  exports.Set("setAmxFp32", Napi::Function::New(env, SetAmxFp32));
  exports.Set("amxPeak", Napi::Function::New(env, AmxPeak));
  exports.Set("amxCalls", Napi::Function::New(env, AmxCalls));
}

}  // namespace

CLARA_NAPI_MODULE(amx, Init);
