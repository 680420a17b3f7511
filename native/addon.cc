// Module initialisation: exports every op registered with DIME_OP.
#include "handle.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (const auto& [name, fn] : dime::opRegistry()) exports.Set(name, Napi::Function::New(env, fn, name));
  return exports;
}

NODE_API_MODULE(dime_native, Init)
