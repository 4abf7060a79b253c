// N-API binding of the label one-hot kernel (native/kernels/label_onehot.h). Arguments are
// trusted: src/native/label-onehot.ts validates them first.
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/label_onehot.h"

namespace {

// (label, out, depth)
Napi::Value LabelOneHot(const Napi::CallbackInfo& info) {
  clara::label_onehot_f32(clara::typed_data<float>(info[0]), int64_t(clara::typed_length(info[0])),
                          info[2].As<Napi::Number>().Int64Value(), clara::typed_data<float>(info[1]));
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) { exports.Set("labelOneHotF32", Napi::Function::New(env, LabelOneHot)); }

}  // namespace

CLARA_NAPI_MODULE(label_onehot, Init);
