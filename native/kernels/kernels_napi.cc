// N-API bindings of the conv3d / pool3d kernels. Synchronous (tfjs kernels are
// synchronous); the work is spread over the native thread pool. Arguments are
// trusted: src/native/kernels.ts validates shapes and sizes before calling.
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "kernels/conv3d.h"
#include "kernels/elementwise.h"
#include "kernels/pool3d.h"

namespace {

clara::Conv3DGeom conv_geom(const Napi::Value& v) {
  const int32_t* a = clara::typed_data<int32_t>(v);
  return clara::Conv3DGeom{a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                           a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17]};
}

clara::Pool3DGeom pool_geom(const Napi::Value& v) {
  const int32_t* a = clara::typed_data<int32_t>(v);
  return clara::Pool3DGeom{a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                           a[10], a[11], a[12], a[13], a[14], a[15], a[16]};
}

clara::ConvPrecision precision(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].ToBoolean().Value() ? clara::ConvPrecision::kBf16
                                                          : clara::ConvPrecision::kFp32;
}

void check(Napi::Env env, const std::string& err) {
  if (!err.empty()) throw Napi::Error::New(env, "clara native conv3d: " + err);
}

// (x, filter, y, geom, bf16)
Napi::Value Conv3DForward(const Napi::CallbackInfo& info) {
  check(info.Env(), clara::conv3d_forward(conv_geom(info[3]), clara::typed_data<float>(info[0]),
                                          clara::typed_data<float>(info[1]),
                                          clara::typed_data<float>(info[2]), precision(info, 4)));
  return info.Env().Undefined();
}

// (dy, filter, dx, geom, bf16)
Napi::Value Conv3DBackpropInput(const Napi::CallbackInfo& info) {
  check(info.Env(), clara::conv3d_backprop_input(conv_geom(info[3]), clara::typed_data<float>(info[0]),
                                                 clara::typed_data<float>(info[1]),
                                                 clara::typed_data<float>(info[2]), precision(info, 4)));
  return info.Env().Undefined();
}

// (x, dy, dfilter, geom, bf16)
Napi::Value Conv3DBackpropFilter(const Napi::CallbackInfo& info) {
  check(info.Env(), clara::conv3d_backprop_filter(conv_geom(info[3]), clara::typed_data<float>(info[0]),
                                                  clara::typed_data<float>(info[1]),
                                                  clara::typed_data<float>(info[2]), precision(info, 4)));
  return info.Env().Undefined();
}

// (x, y, geom)
Napi::Value MaxPool3D(const Napi::CallbackInfo& info) {
  clara::max_pool3d(pool_geom(info[2]), clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]));
  return info.Env().Undefined();
}
Napi::Value AvgPool3D(const Napi::CallbackInfo& info) {
  clara::avg_pool3d(pool_geom(info[2]), clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]));
  return info.Env().Undefined();
}
// (x, dy, dx, geom)
Napi::Value MaxPool3DGrad(const Napi::CallbackInfo& info) {
  clara::max_pool3d_grad(pool_geom(info[3]), clara::typed_data<float>(info[0]),
                         clara::typed_data<float>(info[1]), clara::typed_data<float>(info[2]));
  return info.Env().Undefined();
}
// (dy, dx, geom)
Napi::Value AvgPool3DGrad(const Napi::CallbackInfo& info) {
  clara::avg_pool3d_grad(pool_geom(info[2]), clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]));
  return info.Env().Undefined();
}

// (threads, seconds, bf16Dot?) -> GFLOP/s
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  bool bf16 = info.Length() > 2 && info[2].ToBoolean().Value();
  double g = clara::fma_peak_gflops(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().DoubleValue(), bf16);
  return Napi::Number::New(info.Env(), g);
}

// (op, shape Float64Array, a, aStrides Float64Array, b, bStrides, out)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  auto dims = [](const Napi::Value& v, int64_t* out) {
    const double* d = clara::typed_data<double>(v);
    size_t n = clara::typed_length(v);
    for (size_t i = 0; i < n; ++i) out[i] = int64_t(d[i]);
    return int(n);
  };
  int64_t shape[8], as[8], bs[8];
  int rank = dims(info[1], shape);
  dims(info[3], as);
  dims(info[5], bs);
  clara::binary_f32(clara::BinaryOp(info[0].As<Napi::Number>().Int32Value()), rank, shape,
                    clara::typed_data<float>(info[2]), as, clara::typed_data<float>(info[4]), bs,
                    clara::typed_data<float>(info[6]));
  return info.Env().Undefined();
}
// (shape Float64Array, src, srcOffset, srcStrides Float64Array, dst, dstOffset, dstStrides); 4-byte elements
Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  auto dims = [](const Napi::Value& v, int64_t* out) {
    const double* d = clara::typed_data<double>(v);
    size_t n = clara::typed_length(v);
    for (size_t i = 0; i < n; ++i) out[i] = int64_t(d[i]);
    return int(n);
  };
  int64_t shape[8], ss[8], ds[8];
  int rank = dims(info[0], shape);
  dims(info[3], ss);
  dims(info[6], ds);
  clara::strided_copy_4(rank, shape, clara::typed_data<float>(info[1]) + info[2].As<Napi::Number>().Int64Value(), ss,
                        clara::typed_data<float>(info[4]) + info[5].As<Napi::Number>().Int64Value(), ds);
  return info.Env().Undefined();
}

// (x, y)
Napi::Value Relu(const Napi::CallbackInfo& info) {
  clara::relu_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]), int64_t(clara::typed_length(info[0])));
  return info.Env().Undefined();
}
// (x, y, alpha)
Napi::Value Step(const Napi::CallbackInfo& info) {
  clara::step_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]), int64_t(clara::typed_length(info[0])),
                  info[2].As<Napi::Number>().FloatValue());
  return info.Env().Undefined();
}
// (x, y, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  int64_t cols = info[2].As<Napi::Number>().Int64Value();
  int64_t n = int64_t(clara::typed_length(info[0]));
  clara::softmax_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]), cols ? n / cols : 0, cols);
  return info.Env().Undefined();
}

// (on) -> whether the dot-product path is now in use
Napi::Value SetBf16Dot(const Napi::CallbackInfo& info) {
  clara::conv3d_use_bf16_dot(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), clara::conv3d_bf16_dot_in_use());
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setBf16Dot", Napi::Function::New(env, SetBf16Dot));
  exports.Set("binaryF32", Napi::Function::New(env, Binary));
  exports.Set("reluF32", Napi::Function::New(env, Relu));
  exports.Set("stridedCopy4", Napi::Function::New(env, StridedCopy));
  exports.Set("stepF32", Napi::Function::New(env, Step));
  exports.Set("softmaxF32", Napi::Function::New(env, Softmax));
  exports.Set("conv3dForward", Napi::Function::New(env, Conv3DForward));
  exports.Set("conv3dBackpropInput", Napi::Function::New(env, Conv3DBackpropInput));
  exports.Set("conv3dBackpropFilter", Napi::Function::New(env, Conv3DBackpropFilter));
  exports.Set("maxPool3d", Napi::Function::New(env, MaxPool3D));
  exports.Set("avgPool3d", Napi::Function::New(env, AvgPool3D));
  exports.Set("maxPool3dGrad", Napi::Function::New(env, MaxPool3DGrad));
  exports.Set("avgPool3dGrad", Napi::Function::New(env, AvgPool3DGrad));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  exports.Set("conv3dBf16Dot", Napi::Boolean::New(env, clara::conv3d_has_bf16_dot()));
}

}  // namespace

CLARA_NAPI_MODULE(kernels, Init);
