// N-API bindings of the transform kernels. The TypeScript side (src/native/transforms.ts)
// validates every argument; here values are trusted. Each op takes a trailing `async`
// flag: false runs on the calling thread and returns the result, true runs on libuv's
// pool (PromiseWorker) and returns a promise, so loading overlaps training.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common/napi_helpers.h"
#include "common/napi_module.h"
#include "transforms/transform_ops_cpu.h"

namespace {

using clara::PromiseWorker;

void shape3(const Napi::Value& v, int64_t out[3]) {
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < 3; ++i) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
}
float* f32(const Napi::Value& v) { return clara::typed_data<float>(v); }
double num(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }

// Runs `work` now or on the pool; `result` builds the JS value on the JS thread.
Napi::Value run(const Napi::CallbackInfo& info, size_t async_arg, std::vector<Napi::Value> keep,
                std::function<void()> work, std::function<Napi::Value(Napi::Env)> result = nullptr) {
  Napi::Env env = info.Env();
  const bool async = info.Length() > async_arg && info[async_arg].ToBoolean().Value();
  if (!async) {
    work();
    return result ? result(env) : env.Undefined();
  }
  auto* w = new PromiseWorker(env, [work]() { work(); return std::string(); }, result);
  for (auto& v : keep) if (v.IsObject()) w->keep(v);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// resample(in, channels, inShape, out, outShape, xform[12], mode, padding, async[, path])
// path (tests only): absent/0 the dispatcher; 2 the CPU general path even for a diagonal xform.
Napi::Value Resample(const Napi::CallbackInfo& info) {
  clara::ResampleArgs a{};
  a.in = f32(info[0]);
  a.channels = info[1].As<Napi::Number>().Int64Value();
  shape3(info[2], a.in_shape);
  a.out = f32(info[3]);
  shape3(info[4], a.out_shape);
  const double* m = clara::typed_data<double>(info[5]);
  for (int i = 0; i < 12; ++i) a.xform[i] = m[i];
  a.mode = static_cast<clara::Interp>(info[6].As<Napi::Number>().Int32Value());
  a.padding = static_cast<clara::Pad>(info[7].As<Napi::Number>().Int32Value());
  const int path = info.Length() > 9 && info[9].IsNumber() ? info[9].As<Napi::Number>().Int32Value() : 0;
  if (path != 0) return run(info, 8, {info[0], info[3]}, [a, path]() { clara::resample_cpu_path(a, path); });
  return run(info, 8, {info[0], info[3]}, [a]() { clara::resample(a); });
}

// affineIntensity(in, out, scale, shift, clip, lo, hi, async)
Napi::Value AffineIntensity(const Napi::CallbackInfo& info) {
  const float* in = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t n = static_cast<int64_t>(clara::typed_length(info[0]));
  const double s = num(info[2]), t = num(info[3]), lo = num(info[5]), hi = num(info[6]);
  const bool clip = info[4].ToBoolean().Value();
  return run(info, 7, {info[0], info[1]}, [=]() { clara::affine_intensity(in, out, n, s, t, clip, lo, hi); });
}

// moments(in, nonzero) → [sum, sumsq, count]
Napi::Value Moments(const Napi::CallbackInfo& info) {
  double s = 0, q = 0;
  int64_t c = 0;
  clara::moments_cpu(f32(info[0]), static_cast<int64_t>(clara::typed_length(info[0])), info[1].ToBoolean().Value(), &s, &q, &c);
  auto r = Napi::Array::New(info.Env(), 3);
  r.Set(0u, s); r.Set(1u, q); r.Set(2u, static_cast<double>(c));
  return r;
}

// normalize(in, out, mean, invStd, nonzero, async)
Napi::Value Normalize(const Napi::CallbackInfo& info) {
  const float* in = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t n = static_cast<int64_t>(clara::typed_length(info[0]));
  const double mean = num(info[2]), inv = num(info[3]);
  const bool nz = info[4].ToBoolean().Value();
  return run(info, 5, {info[0], info[1]}, [=]() { clara::normalize_cpu(in, out, n, mean, inv, nz); });
}

// flip(in, out, channels, shape, mask, async)
Napi::Value Flip(const Napi::CallbackInfo& info) {
  const float* in = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t c = info[2].As<Napi::Number>().Int64Value();
  std::array<int64_t, 3> s;
  shape3(info[3], s.data());
  const int mask = info[4].As<Napi::Number>().Int32Value();
  return run(info, 5, {info[0], info[1]}, [=]() { clara::flip(in, out, c, s.data(), mask); });
}

// rot90(in, out, channels, shape, k, a0, a1, async)
Napi::Value Rot90(const Napi::CallbackInfo& info) {
  const float* in = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t c = info[2].As<Napi::Number>().Int64Value();
  std::array<int64_t, 3> s;
  shape3(info[3], s.data());
  const int k = info[4].As<Napi::Number>().Int32Value(), a0 = info[5].As<Napi::Number>().Int32Value(),
            a1 = info[6].As<Napi::Number>().Int32Value();
  return run(info, 7, {info[0], info[1]}, [=]() { clara::rot90_cpu(in, out, c, s.data(), k, a0, a1); });
}

// cropPad(in, out, channels, inShape, outShape, start, fill, async)
Napi::Value CropPad(const Napi::CallbackInfo& info) {
  const float* in = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t c = info[2].As<Napi::Number>().Int64Value();
  std::array<int64_t, 3> is, os, st;
  shape3(info[3], is.data());
  shape3(info[4], os.data());
  shape3(info[5], st.data());
  const float fill = static_cast<float>(num(info[6]));
  return run(info, 7, {info[0], info[1]}, [=]() { clara::crop_pad(in, out, c, is.data(), os.data(), st.data(), fill); });
}

// gaussianNoise(in, out, seed, mean, std, async)
Napi::Value GaussianNoise(const Napi::CallbackInfo& info) {
  const float* in = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t n = static_cast<int64_t>(clara::typed_length(info[0]));
  const uint32_t seed = info[2].As<Napi::Number>().Uint32Value();
  const double mean = num(info[3]), sd = num(info[4]);
  return run(info, 5, {info[0], info[1]}, [=]() { clara::gaussian_noise(in, out, n, seed, mean, sd); });
}

// A malloc'd int32 buffer handed to JS as it is (external ArrayBuffer freed by its finalizer,
// its size reported to V8 so the GC sees it): no copy into a JS-allocated array.
Napi::Int32Array adopt_int32(Napi::Env env, int32_t* data, int64_t n) {
  const size_t bytes = sizeof(int32_t) * static_cast<size_t>(std::max<int64_t>(1, n));
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
  auto ab = Napi::ArrayBuffer::New(env, data, bytes, [bytes](Napi::Env e, void* p) {
    std::free(p);
    Napi::MemoryManagement::AdjustExternalMemory(e, -static_cast<int64_t>(bytes));
  });
  return Napi::Int32Array::New(env, static_cast<size_t>(n), ab, 0);
}

// fgBgIndices(label, labelChannels, image|null, imageChannels, spatial, threshold, async) → {fg, bg}
Napi::Value FgBgIndices(const Napi::CallbackInfo& info) {
  const float* label = f32(info[0]);
  const int64_t lc = info[1].As<Napi::Number>().Int64Value();
  const float* image = info[2].IsTypedArray() ? f32(info[2]) : nullptr;
  const int64_t ic = info[3].As<Napi::Number>().Int64Value();
  const int64_t sp = info[4].As<Napi::Number>().Int64Value();
  const double thr = num(info[5]);
  // frees whatever JS did not adopt (an error path)
  std::shared_ptr<clara::IndexPair> res(new clara::IndexPair, [](clara::IndexPair* p) {
    std::free(p->fg);
    std::free(p->bg);
    delete p;
  });
  return run(
      info, 6, {info[0], info[2]}, [=]() { *res = clara::fg_bg_indices_cpu2(label, lc, image, ic, sp, thr); },
      [res](Napi::Env env) -> Napi::Value {
        if (res->fg == nullptr) {
          Napi::Error::New(env, "fgBgIndices: out of memory for the index arrays").ThrowAsJavaScriptException();
          return env.Undefined();
        }
        auto o = Napi::Object::New(env);
        o.Set("fg", adopt_int32(env, res->fg, res->nfg));
        o.Set("bg", adopt_int32(env, res->bg, res->nbg));
        res->fg = res->bg = nullptr;  // owned by the ArrayBuffers now
        return o;
      });
}

// boundingBox(in, channels, shape, threshold) → {start, end} | null
Napi::Value BoundingBox(const Napi::CallbackInfo& info) {
  int64_t s[3], st[3], en[3];
  shape3(info[2], s);
  if (!clara::bounding_box_cpu(f32(info[0]), info[1].As<Napi::Number>().Int64Value(), s, num(info[3]), st, en))
    return info.Env().Null();
  auto o = Napi::Object::New(info.Env());
  auto a = Napi::Array::New(info.Env(), 3), b = Napi::Array::New(info.Env(), 3);
  for (uint32_t d = 0; d < 3; ++d) { a.Set(d, static_cast<double>(st[d])); b.Set(d, static_cast<double>(en[d])); }
  o.Set("start", a);
  o.Set("end", b);
  return o;
}

// oneHot(label, out, spatial, numClasses, async[, outIsZero]): outIsZero (a fresh output)
// writes only the ones.
Napi::Value OneHot(const Napi::CallbackInfo& info) {
  const float* label = f32(info[0]);
  float* out = f32(info[1]);
  const int64_t sp = info[2].As<Napi::Number>().Int64Value(), n = info[3].As<Napi::Number>().Int64Value();
  const bool zeroed = info.Length() > 5 && info[5].ToBoolean().Value();
  if (zeroed) return run(info, 4, {info[0], info[1]}, [=]() { clara::one_hot_cpu_zeroed(label, out, sp, n); });
  return run(info, 4, {info[0], info[1]}, [=]() { clara::one_hot_cpu(label, out, sp, n); });
}

// memProbe(kind, src, dst) → checksum: 0 read src, 1 copy src → dst, 2 fill dst, 3/4 streaming copy/fill (benchmark only).
Napi::Value MemProbe(const Napi::CallbackInfo& info) {
  const int kind = info[0].As<Napi::Number>().Int32Value();
  const float* src = info[1].IsTypedArray() ? f32(info[1]) : nullptr;
  float* dst = info[2].IsTypedArray() ? f32(info[2]) : nullptr;
  const int64_t n = static_cast<int64_t>(clara::typed_length(kind == 2 || kind == 4 ? info[2] : info[1]));
  return Napi::Number::New(info.Env(), clara::mem_probe_cpu(kind, src, dst, n));
}

void Init(Napi::Env env, Napi::Object exports) {
  auto t = Napi::Object::New(env);
  t.Set("resample", Napi::Function::New(env, Resample));
  t.Set("affineIntensity", Napi::Function::New(env, AffineIntensity));
  t.Set("moments", Napi::Function::New(env, Moments));
  t.Set("normalize", Napi::Function::New(env, Normalize));
  t.Set("flip", Napi::Function::New(env, Flip));
  t.Set("rot90", Napi::Function::New(env, Rot90));
  t.Set("cropPad", Napi::Function::New(env, CropPad));
  t.Set("gaussianNoise", Napi::Function::New(env, GaussianNoise));
  t.Set("fgBgIndices", Napi::Function::New(env, FgBgIndices));
  t.Set("boundingBox", Napi::Function::New(env, BoundingBox));
  t.Set("oneHot", Napi::Function::New(env, OneHot));
  t.Set("memProbe", Napi::Function::New(env, MemProbe));
  exports.Set("transforms", t);
}

}  // namespace

CLARA_NAPI_MODULE(transforms, Init);
