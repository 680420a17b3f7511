// The tensor handle and the one error guard shared by every op.
//
// A tensor crosses into JavaScript as a BigInt id into one table of live tensors: the low 32 bits
// are the slot, the high bits the slot's generation, so an id used after dispose() (or forged) is
// recognised and refused instead of reaching freed memory. Ids are plain values: creating one
// allocates no V8 object with a finalizer, so a long synchronous loop leaves nothing behind for
// the garbage collector. Every live tensor reports its size to V8 with
// napi_adjust_external_memory so that garbage collection feels native memory.
//
// Every op is defined with DIME_OP: its body runs inside one guard that turns any C++ exception
// (c10::Error from libtorch, std::exception) into a JavaScript Error carrying the message, so no
// input from JS can abort the process.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

#include <ATen/ATen.h>

#include "compat.h"
#include <string>
#include <vector>

namespace dime {

constexpr uint32_t kGeneratorMagic = 0x6e4e0b12;

struct GeneratorBox {
  uint32_t magic = kGeneratorMagic;
  at::Generator generator;
};

enum class Lookup { kLive, kDisposed, kInvalid };

// Number of live tensors in the table (for leak tests).
int64_t liveTensorCount();

// The tensor behind an id, or why there is none.
Lookup lookupTensor(uint64_t id, at::Tensor** out);

// Frees the tensor behind an id and gives back its external memory. Returns false when the id was
// not live (already disposed or never valid): disposing twice is harmless.
bool releaseTensor(Napi::Env env, uint64_t id);

Napi::Value wrapTensor(Napi::Env env, at::Tensor tensor);
Napi::Value wrapTensors(Napi::Env env, const std::vector<at::Tensor>& tensors);
Napi::Value wrapGenerator(Napi::Env env, at::Generator generator);

// Typed access to the arguments of one op call; every failure throws a JS Error naming the op.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}

  Napi::Env env() const { return info_.Env(); }
  const char* op() const { return op_; }
  size_t length() const { return info_.Length(); }
  bool has(size_t i) const { return i < info_.Length() && !info_[i].IsUndefined() && !info_[i].IsNull(); }
  bool isTensor(size_t i) const;

  at::Tensor tensor(size_t i) const;
  uint64_t id(size_t i) const;
  Optional<at::Tensor> optTensor(size_t i) const;
  std::vector<at::Tensor> tensors(size_t i) const;
  int64_t int64(size_t i) const;
  Optional<int64_t> optInt64(size_t i) const;
  double number(size_t i) const;
  Optional<double> optNumber(size_t i) const;
  bool boolean(size_t i) const;
  std::string string(size_t i) const;
  std::vector<int64_t> ints(size_t i) const;
  Optional<std::vector<int64_t>> optInts(size_t i) const;
  at::Scalar scalar(size_t i) const;
  at::ScalarType dtype(size_t i) const;
  at::Device device(size_t i) const;
  Optional<at::Generator> generator(size_t i) const;

  [[noreturn]] void fail(const std::string& message) const;

 private:
  const Napi::CallbackInfo& info_;
  const char* op_;
};

using OpFn = Napi::Value (*)(const Napi::CallbackInfo&);
struct OpRegistrar {
  OpRegistrar(const char* name, OpFn fn);
};
std::vector<std::pair<const char*, OpFn>>& opRegistry();

std::string describeError(const char* op, const char* what);

}  // namespace dime

// Defines op NAME: `a` is the Args of the call; the body (the rest of the arguments) returns a Napi::Value.
#define DIME_OP(NAME, ...)                                                              \
  static Napi::Value op_##NAME(const Napi::CallbackInfo& info) {                         \
    ::dime::Args a(info, #NAME);                                                         \
    try {                                                                                \
      __VA_ARGS__                                                                        \
    } catch (const Napi::Error&) {                                                       \
      throw;                                                                             \
    } catch (const c10::Error& e) {                                                      \
      throw Napi::Error::New(info.Env(), ::dime::describeError(#NAME, e.what_without_backtrace())); \
    } catch (const std::exception& e) {                                                  \
      throw Napi::Error::New(info.Env(), ::dime::describeError(#NAME, e.what()));        \
    }                                                                                    \
  }                                                                                      \
  static ::dime::OpRegistrar reg_##NAME(#NAME, op_##NAME);

// Shorthands for the common bodies.
#define RET(EXPR) return ::dime::wrapTensor(a.env(), (EXPR));
#define RET_LIST(EXPR) return ::dime::wrapTensors(a.env(), (EXPR));
#define RET_UNDEF return a.env().Undefined();
