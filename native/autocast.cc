// Autocast (automatic mixed precision, at::autocast): per-device switch and lower-precision dtype,
// and the nesting count whose return to zero clears the cache of casted weights. The state is
// thread-local in libtorch; every op from JS runs on the main thread, so it holds for the ops
// the TypeScript layer calls. src/torch/autocast.ts owns the scopes.
#include "autocast.h"
#include "handle.h"

namespace dime {

static at::DeviceType autocastDevice(const Args& a, size_t i) {
  std::string name = a.string(i);
  if (name == "cpu") return at::kCPU;
  if (name == "cuda") return at::kCUDA;
  a.fail("autocast device type must be cpu or cuda, got '" + name + "'");
}

// autocastSetEnabled(deviceType, enabled) -> the previous setting
DIME_OP(autocastSetEnabled, {
  at::DeviceType device = autocastDevice(a, 0);
  bool previous = autocast::isEnabled(device);
  autocast::setEnabled(device, a.boolean(1));
  return Napi::Boolean::New(a.env(), previous);
})
DIME_OP(autocastIsEnabled, { return Napi::Boolean::New(a.env(), autocast::isEnabled(autocastDevice(a, 0))); })
// autocastSetDtype(deviceType, dtypeCode) -> the previous dtype's code
DIME_OP(autocastSetDtype, {
  at::DeviceType device = autocastDevice(a, 0);
  at::ScalarType dtype = a.dtype(1);
  if (dtype != at::kBFloat16 && dtype != at::kHalf) a.fail("autocast dtype must be bfloat16 or float16");
  int previous = static_cast<int>(autocast::getDtype(device));
  autocast::setDtype(device, dtype);
  return Napi::Number::New(a.env(), previous);
})
DIME_OP(autocastGetDtype, { return Napi::Number::New(a.env(), static_cast<int>(autocast::getDtype(autocastDevice(a, 0)))); })
// Casted copies of weights live in a cache while any autocast scope is open (as in PyTorch's
// torch.autocast.__exit__): leaving the outermost scope frees them.
DIME_OP(autocastEnter, { return Napi::Number::New(a.env(), at::autocast::increment_nesting()); })
DIME_OP(autocastExit, {
  int depth = at::autocast::decrement_nesting();
  if (depth == 0) at::autocast::clear_cache();
  return Napi::Number::New(a.env(), depth);
})

}  // namespace dime
