// exitWithParent(ppid): asks the kernel to send SIGTERM to this process when its parent
// dies (Linux PR_SET_PDEATHSIG), so a job ends with its AutoML process even while its
// JavaScript is busy in a long synchronous call (loading libtensorflow, a train step)
// and cannot see the IPC channel close. Returns false where that is not available, or
// when the parent is already gone (getppid() no longer the given pid).
#include "common/napi_module.h"

#if defined(__linux__)
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#endif

namespace {

Napi::Value ExitWithParent(const Napi::CallbackInfo& info) {
  const int ppid = info[0].As<Napi::Number>().Int32Value();
#if defined(__linux__)
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), getppid() == ppid);
#else
  (void)ppid;
  return Napi::Boolean::New(info.Env(), false);
#endif
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("exitWithParent", Napi::Function::New(env, ExitWithParent));
}

}  // namespace

CLARA_NAPI_MODULE(process, Init);
