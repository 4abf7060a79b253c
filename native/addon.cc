// Module init only: every *_napi.cc registers its exports (see common/napi_module.h).
#include "common/napi_module.h"

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  clara::init_all_modules(env, exports);
  return exports;
}

NODE_API_MODULE(clara_native, InitAddon)
