// Runtime: threads, seeds and generators, grad and inference modes, CUDA, tensor metadata and lifetime.
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <memory>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "handle.h"

namespace dime {

static std::vector<std::unique_ptr<c10::InferenceMode>>& inferenceGuards() {
  static std::vector<std::unique_ptr<c10::InferenceMode>> guards;
  return guards;
}

DIME_OP(version, { return Napi::String::New(a.env(), TORCH_VERSION); })
DIME_OP(numThreads, { return Napi::Number::New(a.env(), at::get_num_threads()); })
// OpenBLAS's threads (1 once the addon has loaded: compat.h), or -1 where libtorch uses no OpenBLAS.
DIME_OP(blasThreads, { return Napi::Number::New(a.env(), dime::blasThreads()); })
DIME_OP(setNumThreads, {
  int64_t n = a.int64(0);
  if (n < 1) a.fail("thread count must be at least 1");
  at::set_num_threads(static_cast<int>(n));
  RET_UNDEF
})
// retainFreedMemory(mmapThreshold, trimThreshold): glibc's malloc serves every block from its heap
// (M_MMAP_MAX 0: none is mapped on its own; mmapThreshold still bounds the blocks glibc may map when
// the heap cannot grow) and gives the heap back to the system only when more than trimThreshold
// bytes are free at its top, so a loop that frees and allocates the same tensors reuses warm pages
// instead of faulting fresh ones in (docs/speed.md). False where the C library is not glibc.
DIME_OP(retainFreedMemory, {
#ifdef __GLIBC__
  int mmapThreshold = static_cast<int>(a.int64(0));
  int trimThreshold = static_cast<int>(a.int64(1));
  bool ok = mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, trimThreshold) == 1 &&
            mallopt(M_MMAP_MAX, 0) == 1;
  return Napi::Boolean::New(a.env(), ok);
#else
  return Napi::Boolean::New(a.env(), false);
#endif
})
DIME_OP(cudaAvailable, { return Napi::Boolean::New(a.env(), torch::cuda::is_available()); })
DIME_OP(cudaDeviceCount, { return Napi::Number::New(a.env(), static_cast<double>(torch::cuda::device_count())); })
DIME_OP(cudaSynchronize, {
  if (torch::cuda::is_available()) torch::cuda::synchronize();
  RET_UNDEF
})
DIME_OP(liveTensors, { return Napi::Number::New(a.env(), static_cast<double>(liveTensorCount())); })

// --- seeds and generators
DIME_OP(manualSeed, {
  uint64_t seed = static_cast<uint64_t>(a.int64(0));
  at::manual_seed(seed);
  RET_UNDEF
})
DIME_OP(newGenerator, {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(a.int64(0)));
  return wrapGenerator(a.env(), gen);
})
DIME_OP(defaultGenerator, { return wrapGenerator(a.env(), at::detail::getDefaultCPUGenerator()); })
// cudaDefaultGenerator(index): CUDA device index's global generator (what random ops on that
// device draw from without a generator), whose state checkpoints carry.
DIME_OP(cudaDefaultGenerator, {
  int64_t index = a.int64(0);
  if (!torch::cuda::is_available()) a.fail("this libtorch sees no CUDA device");
  if (index < 0 || index >= static_cast<int64_t>(torch::cuda::device_count())) a.fail("no CUDA device " + std::to_string(index));
  return wrapGenerator(a.env(), at::globalContext().defaultGenerator(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index))));
})
DIME_OP(generatorSeed, {
  auto gen = *a.generator(0);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_current_seed(static_cast<uint64_t>(a.int64(1)));
  RET_UNDEF
})
DIME_OP(generatorGetState, {
  auto gen = *a.generator(0);
  std::lock_guard<std::mutex> lock(gen.mutex());
  RET(gen.get_state())
})
DIME_OP(generatorSetState, {
  auto gen = *a.generator(0);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(a.tensor(1));
  RET_UNDEF
})

// --- grad and inference modes
DIME_OP(isGradEnabled, { return Napi::Boolean::New(a.env(), at::GradMode::is_enabled()); })
DIME_OP(setGradEnabled, {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(a.boolean(0));
  return Napi::Boolean::New(a.env(), previous);
})
// Inference mode is an RAII guard in libtorch; scopes from JS must nest (enter/exit in LIFO order).
// enterInferenceMode(false) opens a scope with it off (tensors made there are ordinary ones).
DIME_OP(enterInferenceMode, {
  bool enabled = a.has(0) ? a.boolean(0) : true;
  inferenceGuards().push_back(std::make_unique<c10::InferenceMode>(enabled));
  return Napi::Number::New(a.env(), static_cast<double>(inferenceGuards().size()));
})
DIME_OP(exitInferenceMode, {
  size_t depth = static_cast<size_t>(a.int64(0));
  if (inferenceGuards().size() != depth) a.fail("inference-mode scopes must close in the order they opened");
  inferenceGuards().pop_back();
  RET_UNDEF
})
DIME_OP(isInferenceMode, { return Napi::Boolean::New(a.env(), c10::InferenceMode::is_enabled()); })

// --- metadata
DIME_OP(shape, {
  auto t = a.tensor(0);
  auto sizes = t.sizes();
  auto array = Napi::Array::New(a.env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) array.Set(static_cast<uint32_t>(i), Napi::Number::New(a.env(), static_cast<double>(sizes[i])));
  return array;
})
DIME_OP(dtype, { return Napi::Number::New(a.env(), static_cast<int>(a.tensor(0).scalar_type())); })
DIME_OP(device, { return Napi::String::New(a.env(), a.tensor(0).device().str()); })
DIME_OP(isDisposed, {
  at::Tensor* t = nullptr;
  return Napi::Boolean::New(a.env(), lookupTensor(a.id(0), &t) != Lookup::kLive);
})
// dispose(id): frees the tensor; returns false when it was already freed.
DIME_OP(dispose, { return Napi::Boolean::New(a.env(), releaseTensor(a.env(), a.id(0))); })
DIME_OP(item, {
  auto t = a.tensor(0);
  if (t.numel() != 1) a.fail("item() needs a tensor with one element, got " + std::to_string(t.numel()));
  auto s = t.item();
  if (s.isBoolean()) return Napi::Number::New(a.env(), s.toBool() ? 1 : 0);
  if (s.isIntegral(false)) return Napi::Number::New(a.env(), static_cast<double>(s.toLong()));
  return Napi::Number::New(a.env(), s.toDouble());
})
DIME_OP(isContiguous, { return Napi::Boolean::New(a.env(), a.tensor(0).is_contiguous()); })
DIME_OP(sameData, { return Napi::Boolean::New(a.env(), a.tensor(0).data_ptr() == a.tensor(1).data_ptr()); })

}  // namespace dime
