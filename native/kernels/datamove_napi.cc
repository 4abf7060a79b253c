// N-API bindings of the data-movement kernels (native/kernels/datamove.h). Arguments are
// trusted: src/native/datamove.ts validates shapes and lengths before calling.
#include <vector>

#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/datamove.h"

namespace {

int64_t num(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }

// (x, y, n, d, h, w, c, sd, sh, sw)
Napi::Value UpsampleNearest3d(const Napi::CallbackInfo& info) {
  clara::upsample_nearest3d_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]), num(info[2]),
                                num(info[3]), num(info[4]), num(info[5]), num(info[6]), num(info[7]), num(info[8]),
                                num(info[9]));
  return info.Env().Undefined();
}
// (dy, dx, n, d, h, w, c, sd, sh, sw)
Napi::Value UpsampleNearest3dGrad(const Napi::CallbackInfo& info) {
  clara::upsample_nearest3d_grad_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]),
                                     num(info[2]), num(info[3]), num(info[4]), num(info[5]), num(info[6]),
                                     num(info[7]), num(info[8]), num(info[9]));
  return info.Env().Undefined();
}

// (src, dst, outer, n, inner, s)
Napi::Value UpsampleLinearAxis(const Napi::CallbackInfo& info) {
  clara::upsample_linear_axis_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]), num(info[2]),
                                  num(info[3]), num(info[4]), num(info[5]));
  return info.Env().Undefined();
}
// (src, dst, outer, n, inner, s): the adjoint, dst [outer, n, inner]
Napi::Value UpsampleLinearAxisGrad(const Napi::CallbackInfo& info) {
  clara::upsample_linear_axis_grad_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]),
                                       num(info[2]), num(info[3]), num(info[4]), num(info[5]));
  return info.Env().Undefined();
}

void parts_of(const Napi::Value& v, std::vector<float*>& ptrs, std::vector<int64_t>& widths, int64_t rows) {
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    ptrs.push_back(clara::typed_data<float>(e));
    widths.push_back(rows ? int64_t(clara::typed_length(e)) / rows : 0);
  }
}

// (parts: (Float32Array|Int32Array)[], rows, out)
Napi::Value ConcatLast(const Napi::CallbackInfo& info) {
  std::vector<float*> ptrs;
  std::vector<int64_t> widths;
  int64_t rows = num(info[1]);
  parts_of(info[0], ptrs, widths, rows);
  clara::concat_last_4(int(ptrs.size()), const_cast<const float* const*>(ptrs.data()), widths.data(), rows,
                       clara::typed_data<float>(info[2]));
  return info.Env().Undefined();
}
// (x, rows, parts: (Float32Array|Int32Array)[])
Napi::Value SplitLast(const Napi::CallbackInfo& info) {
  std::vector<float*> ptrs;
  std::vector<int64_t> widths;
  int64_t rows = num(info[1]);
  parts_of(info[2], ptrs, widths, rows);
  clara::split_last_4(int(ptrs.size()), clara::typed_data<float>(info[0]), rows, ptrs.data(), widths.data());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("upsampleNearest3dF32", Napi::Function::New(env, UpsampleNearest3d));
  exports.Set("upsampleNearest3dGradF32", Napi::Function::New(env, UpsampleNearest3dGrad));
  exports.Set("upsampleLinearAxisF32", Napi::Function::New(env, UpsampleLinearAxis));
  exports.Set("upsampleLinearAxisGradF32", Napi::Function::New(env, UpsampleLinearAxisGrad));
  exports.Set("concatLast4", Napi::Function::New(env, ConcatLast));
  exports.Set("splitLast4", Napi::Function::New(env, SplitLast));
}

}  // namespace

CLARA_NAPI_MODULE(datamove, Init);
