// N-API binding of the connected-component labelling (src/native/components.ts types it;
// src/train/inference/connected-components.ts validates the arguments before calling).
#include <vector>

#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "transforms/components.h"

namespace {

// label3d(mask: Uint8Array, shape: [x, y, z], connectivity: 6|18|26, labels: Int32Array) → sizes: Float64Array
Napi::Value Label3d(const Napi::CallbackInfo& info) {
  const uint8_t* mask = clara::typed_data<uint8_t>(info[0]);
  auto a = info[1].As<Napi::Array>();
  int64_t shape[3];
  for (uint32_t i = 0; i < 3; ++i) shape[i] = a.Get(i).As<Napi::Number>().Int64Value();
  const int conn = info[2].As<Napi::Number>().Int32Value();
  int32_t* labels = clara::typed_data<int32_t>(info[3]);
  std::vector<int64_t> sizes;
  const int32_t count = clara::label_components_cpu(mask, shape, conn, labels, sizes);
  auto out = Napi::Float64Array::New(info.Env(), static_cast<size_t>(count));
  for (int32_t k = 0; k < count; ++k) out[static_cast<size_t>(k)] = static_cast<double>(sizes[static_cast<size_t>(k)]);
  return out;
}

void Init(Napi::Env env, Napi::Object exports) {
  auto t = Napi::Object::New(env);
  t.Set("label3d", Napi::Function::New(env, Label3d));
  exports.Set("components", t);
}

}  // namespace

CLARA_NAPI_MODULE(components, Init);
