// Helpers for N-API bindings: typed-array access and async workers whose errors
// come back as rejected promises (nothing throws across threads).
#pragma once
#include <napi.h>

#include <functional>
#include <string>

namespace clara {

template <typename T>
inline T* typed_data(const Napi::Value& v) {
  auto arr = v.As<Napi::TypedArray>();
  return reinterpret_cast<T*>(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset());
}

inline size_t typed_length(const Napi::Value& v) { return v.As<Napi::TypedArray>().ElementLength(); }

// Runs `work` on libuv's pool; it returns an empty string on success or an error
// message. The promise resolves with `result()` (called on the JS thread) or
// rejects with an Error carrying the message. Keep `keep` alive meanwhile.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<std::string()> work,
                std::function<Napi::Value(Napi::Env)> result)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), result_(std::move(result)) {}

  Napi::Promise promise() { return deferred_.Promise(); }
  void keep(const Napi::Value& v) { refs_.push_back(Napi::Persistent(v.As<Napi::Object>())); }

  void Execute() override {
    std::string err = work_();
    if (!err.empty()) SetError(err);
  }
  // Settling can fail: building the result may throw, and when a worker thread is terminated
  // while the op runs its environment is already shutting down, so every N-API call fails.
  // Nothing may escape from here (node-addon-api would rethrow into a dying environment and
  // abort the process): a failed resolve becomes a rejection, a failed rejection is dropped
  // because nobody is left to observe the promise.
  void OnOK() override {
    try {
      deferred_.Resolve(result_ ? result_(Env()) : Env().Undefined());
    } catch (const Napi::Error& e) {
      settleFailed(e);
    }
  }
  void OnError(const Napi::Error& e) override { settleFailed(e); }

 private:
  void settleFailed(const Napi::Error& e) {
    try {
      deferred_.Reject(e.Value());
    } catch (const Napi::Error&) {
    }
  }

  Napi::Promise::Deferred deferred_;
  std::function<std::string()> work_;
  std::function<Napi::Value(Napi::Env)> result_;
  std::vector<Napi::ObjectReference> refs_;
};

}  // namespace clara
