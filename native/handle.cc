// Tensor handles, argument unwrapping and the op registry.
#include "handle.h"

#include <cmath>

namespace dime {

namespace {

struct Slot {
  at::Tensor tensor;
  uint32_t generation = 1;
  int64_t reported = 0;  // bytes reported to V8 as external memory
};

struct TensorTable {
  std::vector<Slot> slots;
  std::vector<uint32_t> free;
  int64_t live = 0;
};

TensorTable& table() {
  static TensorTable t;
  return t;
}

uint64_t makeId(uint32_t slot, uint32_t generation) { return (static_cast<uint64_t>(generation) << 32) | slot; }

}  // namespace

int64_t liveTensorCount() { return table().live; }

Lookup lookupTensor(uint64_t id, at::Tensor** out) {
  auto& t = table();
  uint32_t index = static_cast<uint32_t>(id & 0xffffffffu);
  uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (index >= t.slots.size() || generation == 0) return Lookup::kInvalid;
  Slot& slot = t.slots[index];
  // release() bumps the generation, so a live slot's generation is the id's and older ids are
  // disposed ones.
  if (generation == slot.generation && slot.tensor.defined()) {
    *out = &slot.tensor;
    return Lookup::kLive;
  }
  return generation < slot.generation ? Lookup::kDisposed : Lookup::kInvalid;
}

bool releaseTensor(Napi::Env env, uint64_t id) {
  at::Tensor* tensor = nullptr;
  if (lookupTensor(id, &tensor) != Lookup::kLive) return false;
  auto& t = table();
  uint32_t index = static_cast<uint32_t>(id & 0xffffffffu);
  Slot& slot = t.slots[index];
  slot.tensor.reset();
  slot.generation++;
  if (slot.generation == 0) slot.generation = 1;
  t.free.push_back(index);
  t.live--;
  if (slot.reported != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -slot.reported);
    slot.reported = 0;
  }
  return true;
}

std::vector<std::pair<const char*, OpFn>>& opRegistry() {
  static std::vector<std::pair<const char*, OpFn>> ops;
  return ops;
}

OpRegistrar::OpRegistrar(const char* name, OpFn fn) { opRegistry().emplace_back(name, fn); }

std::string describeError(const char* op, const char* what) {
  std::string message(what);
  // libtorch messages sometimes end with a newline or carry an "Exception raised from" trailer.
  auto trailer = message.find("\nException raised from");
  if (trailer != std::string::npos) message.resize(trailer);
  // A CUDA error (C10_CUDA_CHECK) is one line, "CUDA error: <the runtime's words>", followed by
  // lines of advice (where to search the error code, CUDA_LAUNCH_BLOCKING, device-side
  // assertions); the first says what went wrong (on a machine without a GPU: "CUDA driver version
  // is insufficient for CUDA runtime version").
  auto cuda = message.find("CUDA error: ");
  if (cuda != std::string::npos) {
    auto end = message.find('\n', cuda);
    if (end != std::string::npos) message.resize(end);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return std::string(op) + ": " + message;
}

static int64_t reportedBytes(const at::Tensor& t) {
  // A view shares its base's storage; report only the elements it addresses, which never
  // overcounts by more than the number of live views.
  return static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size());
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Undefined();
  auto& t = table();
  uint32_t index;
  if (!t.free.empty()) {
    index = t.free.back();
    t.free.pop_back();
  } else {
    index = static_cast<uint32_t>(t.slots.size());
    t.slots.emplace_back();
  }
  Slot& slot = t.slots[index];
  slot.tensor = std::move(tensor);
  slot.reported = reportedBytes(slot.tensor);
  t.live++;
  if (slot.reported != 0) Napi::MemoryManagement::AdjustExternalMemory(env, slot.reported);
  return Napi::BigInt::New(env, makeId(index, slot.generation));
}

Napi::Value wrapTensors(Napi::Env env, const std::vector<at::Tensor>& tensors) {
  auto array = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); i++) array.Set(static_cast<uint32_t>(i), wrapTensor(env, tensors[i]));
  return array;
}

Napi::Value wrapGenerator(Napi::Env env, at::Generator generator) {
  auto* box = new GeneratorBox();
  box->generator = std::move(generator);
  return Napi::External<GeneratorBox>::New(env, box, [](Napi::Env, GeneratorBox* b) { delete b; });
}

void Args::fail(const std::string& message) const {
  throw Napi::Error::New(info_.Env(), std::string(op_) + ": " + message);
}

bool Args::isTensor(size_t i) const { return i < info_.Length() && info_[i].IsBigInt(); }

uint64_t Args::id(size_t i) const {
  if (!isTensor(i)) fail("argument " + std::to_string(i) + " is not a tensor");
  bool lossless = false;
  return info_[i].As<Napi::BigInt>().Uint64Value(&lossless);
}

static at::Tensor resolve(const Args& a, uint64_t id, const std::string& what) {
  at::Tensor* tensor = nullptr;
  switch (lookupTensor(id, &tensor)) {
    case Lookup::kLive: return *tensor;
    case Lookup::kDisposed: a.fail(what + " is a tensor that was disposed");
    default: a.fail(what + " is not a tensor");
  }
}

at::Tensor Args::tensor(size_t i) const { return resolve(*this, id(i), "argument " + std::to_string(i)); }

Optional<at::Tensor> Args::optTensor(size_t i) const {
  if (!has(i)) return kNone;
  return tensor(i);
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) fail("argument " + std::to_string(i) + " is not an array of tensors");
  auto array = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value v = array.Get(k);
    std::string what = "element " + std::to_string(k) + " of argument " + std::to_string(i);
    if (!v.IsBigInt()) fail(what + " is not a tensor");
    bool lossless = false;
    out.push_back(resolve(*this, v.As<Napi::BigInt>().Uint64Value(&lossless), what));
  }
  return out;
}

double Args::number(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsNumber()) fail("argument " + std::to_string(i) + " is not a number");
  return info_[i].As<Napi::Number>().DoubleValue();
}

Optional<double> Args::optNumber(size_t i) const {
  if (!has(i)) return kNone;
  return number(i);
}

int64_t Args::int64(size_t i) const {
  double v = number(i);
  if (!std::isfinite(v) || std::floor(v) != v) fail("argument " + std::to_string(i) + " is not an integer");
  return static_cast<int64_t>(v);
}

Optional<int64_t> Args::optInt64(size_t i) const {
  if (!has(i)) return kNone;
  return int64(i);
}

bool Args::boolean(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsBoolean()) fail("argument " + std::to_string(i) + " is not a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}

std::string Args::string(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsString()) fail("argument " + std::to_string(i) + " is not a string");
  return info_[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Args::ints(size_t i) const {
  if (i < info_.Length() && info_[i].IsNumber()) return {int64(i)};
  if (i >= info_.Length() || !info_[i].IsArray()) fail("argument " + std::to_string(i) + " is not an array of integers");
  auto array = info_[i].As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value v = array.Get(k);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(d) || std::floor(d) != d) fail("element " + std::to_string(k) + " of argument " + std::to_string(i) + " is not an integer");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

Optional<std::vector<int64_t>> Args::optInts(size_t i) const {
  if (!has(i)) return kNone;
  return ints(i);
}

at::Scalar Args::scalar(size_t i) const {
  if (i < info_.Length() && info_[i].IsBoolean()) return at::Scalar(info_[i].As<Napi::Boolean>().Value());
  double v = number(i);
  // Integral JS numbers become integer scalars so that int tensors stay int (as in PyTorch).
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 9007199254740992.0) return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

at::ScalarType Args::dtype(size_t i) const {
  int64_t code = int64(i);
  switch (static_cast<at::ScalarType>(code)) {
    case at::kByte: case at::kChar: case at::kShort: case at::kInt: case at::kLong:
    case at::kHalf: case at::kFloat: case at::kDouble: case at::kBool: case at::kBFloat16:
      return static_cast<at::ScalarType>(code);
    default:
      fail("unknown dtype code " + std::to_string(code));
  }
}

at::Device Args::device(size_t i) const {
  if (!has(i)) return at::Device(at::kCPU);
  return at::Device(string(i));
}

Optional<at::Generator> Args::generator(size_t i) const {
  if (!has(i)) return kNone;
  if (!info_[i].IsExternal()) fail("argument " + std::to_string(i) + " is not a generator");
  auto* b = info_[i].As<Napi::External<GeneratorBox>>().Data();
  if (b == nullptr || b->magic != kGeneratorMagic) fail("argument " + std::to_string(i) + " is not a generator");
  return b->generator;
}

}  // namespace dime
