// Tensor handles, argument unwrapping and the op registry.
#include "handle.h"

#include <cmath>

namespace dime {

int64_t& liveTensorCount() {
  static int64_t count = 0;
  return count;
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
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return std::string(op) + ": " + message;
}

static int64_t reportedBytes(const at::Tensor& t) {
  // A view shares its base's storage; report only the elements it addresses, which never
  // overcounts by more than the number of live views.
  return t.defined() ? static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size()) : 0;
}

void releaseBox(Napi::Env env, TensorBox* box) {
  if (!box->tensor.defined()) return;
  box->tensor.reset();
  liveTensorCount()--;
  if (box->reported != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -box->reported);
    box->reported = 0;
  }
}

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Undefined();
  auto* box = new TensorBox();
  box->tensor = std::move(tensor);
  box->reported = reportedBytes(box->tensor);
  liveTensorCount()++;
  if (box->reported != 0) Napi::MemoryManagement::AdjustExternalMemory(env, box->reported);
  return Napi::External<TensorBox>::New(env, box, [](Napi::Env env, TensorBox* b) {
    releaseBox(env, b);
    delete b;
  });
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

bool Args::isTensor(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsExternal()) return false;
  auto* box = info_[i].As<Napi::External<TensorBox>>().Data();
  return box != nullptr && box->magic == kTensorMagic;
}

TensorBox* Args::box(size_t i) const {
  if (!isTensor(i)) fail("argument " + std::to_string(i) + " is not a tensor");
  return info_[i].As<Napi::External<TensorBox>>().Data();
}

at::Tensor Args::tensor(size_t i) const {
  auto* b = box(i);
  if (!b->tensor.defined()) fail("argument " + std::to_string(i) + " is a tensor that was disposed");
  return b->tensor;
}

c10::optional<at::Tensor> Args::optTensor(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return tensor(i);
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) fail("argument " + std::to_string(i) + " is not an array of tensors");
  auto array = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value v = array.Get(k);
    if (!v.IsExternal()) fail("element " + std::to_string(k) + " of argument " + std::to_string(i) + " is not a tensor");
    auto* b = v.As<Napi::External<TensorBox>>().Data();
    if (b == nullptr || b->magic != kTensorMagic) fail("element " + std::to_string(k) + " is not a tensor");
    if (!b->tensor.defined()) fail("element " + std::to_string(k) + " is a tensor that was disposed");
    out.push_back(b->tensor);
  }
  return out;
}

double Args::number(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsNumber()) fail("argument " + std::to_string(i) + " is not a number");
  return info_[i].As<Napi::Number>().DoubleValue();
}

c10::optional<double> Args::optNumber(size_t i) const {
  if (!has(i)) return c10::nullopt;
  return number(i);
}

int64_t Args::int64(size_t i) const {
  double v = number(i);
  if (!std::isfinite(v) || std::floor(v) != v) fail("argument " + std::to_string(i) + " is not an integer");
  return static_cast<int64_t>(v);
}

c10::optional<int64_t> Args::optInt64(size_t i) const {
  if (!has(i)) return c10::nullopt;
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

c10::optional<std::vector<int64_t>> Args::optInts(size_t i) const {
  if (!has(i)) return c10::nullopt;
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

c10::optional<at::Generator> Args::generator(size_t i) const {
  if (!has(i)) return c10::nullopt;
  if (!info_[i].IsExternal()) fail("argument " + std::to_string(i) + " is not a generator");
  auto* b = info_[i].As<Napi::External<GeneratorBox>>().Data();
  if (b == nullptr || b->magic != kGeneratorMagic) fail("argument " + std::to_string(i) + " is not a generator");
  return b->generator;
}

}  // namespace dime
