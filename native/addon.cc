// Module initialisation: exports every op registered with DIME_OP, after the libtorch settings
// that hold for the whole process (native/compat.h).
#include "handle.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dime::disableNnpack();
  dime::blasOnCallingThread();
  for (const auto& [name, fn] : dime::opRegistry()) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}

NODE_API_MODULE(dime_native, Init)
