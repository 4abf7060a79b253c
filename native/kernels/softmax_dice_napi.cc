// N-API bindings of the fused softmax + Dice loss (native/kernels/softmax_dice.h). Arguments are
// trusted: src/native/softmax-dice.ts validates them first.
#include "common/fp_mode.h"
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/softmax_dice.h"

namespace {

int64_t num(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }

clara::SoftmaxDiceGeom geom(const Napi::CallbackInfo& info) {
  return clara::SoftmaxDiceGeom{num(info[0]), num(info[1]), num(info[2]), num(info[3]),
                                info[4].As<Napi::Number>().FloatValue(), info[5].As<Napi::Number>().FloatValue()};
}

// (n, v, c, c0, smoothNr, smoothDr, logits, target, prob, stats, f)
Napi::Value SoftmaxDice(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::softmax_dice_f32(geom(info), clara::typed_data<float>(info[6]), clara::typed_data<float>(info[7]),
                          clara::typed_data<float>(info[8]), clara::typed_data<float>(info[9]),
                          clara::typed_data<float>(info[10]));
  return info.Env().Undefined();
}

// (n, v, c, c0, smoothNr, smoothDr, dy, prob, target, stats, dlogits)
Napi::Value SoftmaxDiceGrad(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::softmax_dice_grad_f32(geom(info), clara::typed_data<float>(info[6]), clara::typed_data<float>(info[7]),
                               clara::typed_data<float>(info[8]), clara::typed_data<float>(info[9]),
                               clara::typed_data<float>(info[10]));
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("softmaxDiceF32", Napi::Function::New(env, SoftmaxDice));
  exports.Set("softmaxDiceGradF32", Napi::Function::New(env, SoftmaxDiceGrad));
}

}  // namespace

CLARA_NAPI_MODULE(softmax_dice, Init);
