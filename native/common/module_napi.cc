#include "common/napi_module.h"

#include <utility>
#include <vector>

namespace clara {
namespace {
std::vector<std::pair<const char*, ModuleInit>>& modules() {
  static std::vector<std::pair<const char*, ModuleInit>> m;
  return m;
}
}  // namespace

int register_module(const char* name, ModuleInit init) {
  modules().emplace_back(name, init);
  return static_cast<int>(modules().size());
}

void init_all_modules(Napi::Env env, Napi::Object exports) {
  for (auto& m : modules()) m.second(env, exports);
}
}  // namespace clara
