// N-API bindings of the conv3d / pool3d kernels. Synchronous (tfjs kernels are
// synchronous); the work is spread over the native thread pool. Arguments are
// trusted: src/native/kernels.ts validates shapes and sizes before calling.
#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "common/fp_mode.h"
#include "common/scratch.h"
#include "kernels/conv3d.h"
#include "kernels/elementwise.h"
#include "kernels/isa_probe.h"
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

// An output array freshly allocated by JavaScript (untouched pages; huge pages
// asked for only under CLARA_HUGE_PAGES, see common/scratch.h).
float* out_f32(const Napi::Value& v) {
  float* p = clara::typed_data<float>(v);
  clara::advise_huge_pages(p, clara::typed_length(v) * sizeof(float));
  return p;
}

// false: fp32, true: bf16, the number 2: use_amp (ConvPrecision::kAmp)
clara::ConvPrecision precision(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() > i && info[i].IsNumber() && info[i].As<Napi::Number>().Int32Value() == 2) return clara::ConvPrecision::kAmp;
  return info.Length() > i && info[i].ToBoolean().Value() ? clara::ConvPrecision::kBf16
                                                          : clara::ConvPrecision::kFp32;
}

void check(Napi::Env env, const std::string& err) {
  if (!err.empty()) throw Napi::Error::New(env, "clara native conv3d: " + err);
}

// (x, filter, y, geom, precision)
Napi::Value Conv3DForward(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  check(info.Env(), clara::conv3d_forward(conv_geom(info[3]), clara::typed_data<float>(info[0]),
                                          clara::typed_data<float>(info[1]),
                                          out_f32(info[2]), precision(info, 4)));
  return info.Env().Undefined();
}

// (dy, filter, dx, geom, precision)
Napi::Value Conv3DBackpropInput(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  check(info.Env(), clara::conv3d_backprop_input(conv_geom(info[3]), clara::typed_data<float>(info[0]),
                                                 clara::typed_data<float>(info[1]),
                                                 out_f32(info[2]), precision(info, 4)));
  return info.Env().Undefined();
}

// (x, dy, dfilter, geom, precision)
Napi::Value Conv3DBackpropFilter(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  check(info.Env(), clara::conv3d_backprop_filter(conv_geom(info[3]), clara::typed_data<float>(info[0]),
                                                  clara::typed_data<float>(info[1]),
                                                  out_f32(info[2]), precision(info, 4)));
  return info.Env().Undefined();
}

// (x, y, geom)
Napi::Value MaxPool3D(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::max_pool3d(pool_geom(info[2]), clara::typed_data<float>(info[0]), out_f32(info[1]));
  return info.Env().Undefined();
}
Napi::Value AvgPool3D(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::avg_pool3d(pool_geom(info[2]), clara::typed_data<float>(info[0]), out_f32(info[1]));
  return info.Env().Undefined();
}
// (x, dy, dx, geom)
Napi::Value MaxPool3DGrad(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::max_pool3d_grad(pool_geom(info[3]), clara::typed_data<float>(info[0]),
                         clara::typed_data<float>(info[1]), out_f32(info[2]));
  return info.Env().Undefined();
}
// (dy, dx, geom)
Napi::Value AvgPool3DGrad(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::avg_pool3d_grad(pool_geom(info[2]), clara::typed_data<float>(info[0]), out_f32(info[1]));
  return info.Env().Undefined();
}

// (threads, seconds, bf16Dot?) -> GFLOP/s
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  bool bf16 = info.Length() > 2 && info[2].ToBoolean().Value();
  double g = clara::fma_peak_gflops(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().DoubleValue(), bf16);
  return Napi::Number::New(info.Env(), g);
}

// (trials, msEach) -> { ghz, rates: [{ instr, chains, perNs, perCycle, gflops }] }
Napi::Value IsaProbe(const Napi::CallbackInfo& info) {
  const clara::IsaProbe p = clara::isa_probe(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().DoubleValue());
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("ghz", p.ghz);
  Napi::Array rates = Napi::Array::New(env, p.rates.size());
  for (size_t i = 0; i < p.rates.size(); ++i) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("instr", p.rates[i].instr);
    r.Set("chains", p.rates[i].chains);
    r.Set("perNs", p.rates[i].per_ns);
    r.Set("perCycle", p.rates[i].per_cycle);
    r.Set("gflops", p.rates[i].gflops);
    rates.Set(uint32_t(i), r);
  }
  out.Set("rates", rates);
  return out;
}

// (op, shape Float64Array, a, aStrides Float64Array, b, bStrides, out)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
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
                    out_f32(info[6]));
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
  clara::FlushDenormals ftz;
  clara::relu_f32(clara::typed_data<float>(info[0]), out_f32(info[1]), int64_t(clara::typed_length(info[0])));
  return info.Env().Undefined();
}
// (x, y, alpha)
Napi::Value Step(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::step_f32(clara::typed_data<float>(info[0]), out_f32(info[1]), int64_t(clara::typed_length(info[0])),
                  info[2].As<Napi::Number>().FloatValue());
  return info.Env().Undefined();
}
// (dy, x, dx)
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  clara::relu_grad_f32(clara::typed_data<float>(info[0]), clara::typed_data<float>(info[1]), out_f32(info[2]),
                       int64_t(clara::typed_length(info[0])));
  return info.Env().Undefined();
}
// (xShape Float64Array, reps Float64Array, dy, dx)
Napi::Value TileGrad(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  int64_t xs[8], reps[8];
  const double* a = clara::typed_data<double>(info[0]);
  const double* b = clara::typed_data<double>(info[1]);
  int rank = int(clara::typed_length(info[0]));
  for (int i = 0; i < rank; ++i) {
    xs[i] = int64_t(a[i]);
    reps[i] = int64_t(b[i]);
  }
  clara::tile_grad_f32(rank, xs, reps, clara::typed_data<float>(info[2]), out_f32(info[3]));
  return info.Env().Undefined();
}
// (x, y, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  clara::FlushDenormals ftz;
  int64_t cols = info[2].As<Napi::Number>().Int64Value();
  int64_t n = int64_t(clara::typed_length(info[0]));
  clara::softmax_f32(clara::typed_data<float>(info[0]), out_f32(info[1]), cols ? n / cols : 0, cols);
  return info.Env().Undefined();
}

// (on: boolean | null) -> whether the dot-product path is now in use (null: automatic)
Napi::Value SetBf16Dot(const Napi::CallbackInfo& info) {
  if (info.Length() == 0 || info[0].IsNull() || info[0].IsUndefined()) clara::conv3d_bf16_dot_auto();
  else clara::conv3d_use_bf16_dot(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), clara::conv3d_bf16_dot_in_use());
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setBf16Dot", Napi::Function::New(env, SetBf16Dot));
  exports.Set("binaryF32", Napi::Function::New(env, Binary));
  exports.Set("reluF32", Napi::Function::New(env, Relu));
  exports.Set("stridedCopy4", Napi::Function::New(env, StridedCopy));
  exports.Set("stepF32", Napi::Function::New(env, Step));
  exports.Set("reluGradF32", Napi::Function::New(env, ReluGrad));
  exports.Set("tileGradF32", Napi::Function::New(env, TileGrad));
  exports.Set("softmaxF32", Napi::Function::New(env, Softmax));
  exports.Set("conv3dForward", Napi::Function::New(env, Conv3DForward));
  exports.Set("conv3dBackpropInput", Napi::Function::New(env, Conv3DBackpropInput));
  exports.Set("conv3dBackpropFilter", Napi::Function::New(env, Conv3DBackpropFilter));
  exports.Set("maxPool3d", Napi::Function::New(env, MaxPool3D));
  exports.Set("avgPool3d", Napi::Function::New(env, AvgPool3D));
  exports.Set("maxPool3dGrad", Napi::Function::New(env, MaxPool3DGrad));
  exports.Set("avgPool3dGrad", Napi::Function::New(env, AvgPool3DGrad));
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak));
  exports.Set("isaProbe", Napi::Function::New(env, IsaProbe));
  exports.Set("conv3dBf16Dot", Napi::Boolean::New(env, clara::conv3d_has_bf16_dot()));
}

}  // namespace

CLARA_NAPI_MODULE(kernels, Init);
