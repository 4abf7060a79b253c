// Each *_napi.cc file registers the functions it exports with CLARA_NAPI_MODULE;
// addon.cc calls every registered initialiser. No file needs to edit addon.cc.
#pragma once
#include <napi.h>

namespace clara {
using ModuleInit = void (*)(Napi::Env env, Napi::Object exports);
int register_module(const char* name, ModuleInit init);
void init_all_modules(Napi::Env env, Napi::Object exports);
}  // namespace clara

#define CLARA_NAPI_MODULE(name, fn) \
  static int clara_module_registered_##name = ::clara::register_module(#name, fn)
