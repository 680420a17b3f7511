// Creation, conversion and data transfer: typed arrays in and out, factories, random numbers.
#include <cerrno>
#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

#include <torch/cuda.h>

#include "handle.h"

namespace dime {

static at::TensorOptions options(const Args& a, size_t dtypeArg, size_t deviceArg) {
  return at::TensorOptions().dtype(a.dtype(dtypeArg)).device(a.device(deviceArg));
}

// fromBuffer(typedArray, shape, dtype, device?): copies the bytes of the typed array. For a CUDA
// device they go through pinned (page-locked) host memory with a non-blocking copy, which the GPU's
// copy engine does without stalling the host; the caching host allocator holds the pinned block
// until the copy has finished, so freeing it here is safe.
DIME_OP(fromBuffer, {
  if (a.length() < 1 || !a.has(0)) a.fail("argument 0 is not a typed array");
  Napi::Value v = info[0];
  if (!v.IsTypedArray()) a.fail("argument 0 is not a typed array");
  auto array = v.As<Napi::TypedArray>();
  auto shape = a.ints(1);
  auto dtype = a.dtype(2);
  int64_t numel = 1;
  for (auto s : shape) {
    if (s < 0) a.fail("negative dimension in shape");
    numel *= s;
  }
  size_t bytes = static_cast<size_t>(numel) * at::elementSize(dtype);
  if (array.ByteLength() != bytes)
    a.fail("data has " + std::to_string(array.ByteLength()) + " bytes but shape and dtype need " + std::to_string(bytes));
  auto device = a.device(3);
  bool pinned = device.is_cuda();
  auto out = at::empty(shape, at::TensorOptions().dtype(dtype).pinned_memory(pinned));
  if (bytes > 0) {
    auto* src = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    std::memcpy(out.data_ptr(), src, bytes);
  }
  RET(device.is_cpu() ? out : out.to(device, /*non_blocking=*/pinned))
})

// fromFile(fd, position, shape, dtype): a new CPU tensor holding the file's bytes at `position`
// (an open file descriptor's, read with pread), without a copy through JS memory: checkpoint
// readers hand storages straight from the file to libtorch. A file shorter than the tensor fails.
DIME_OP(fromFile, {
  int fd = static_cast<int>(a.int64(0));
  double position = a.number(1);
  if (position < 0 || position > 9007199254740991.0) a.fail("position out of range");
  auto shape = a.ints(2);
  auto dtype = a.dtype(3);
  for (auto s : shape)
    if (s < 0) a.fail("negative dimension in shape");
  auto out = at::empty(shape, at::TensorOptions().dtype(dtype));
  size_t bytes = static_cast<size_t>(out.numel()) * at::elementSize(dtype);
  auto* dst = static_cast<uint8_t*>(out.data_ptr());
#ifdef MADV_HUGEPAGE
  // Large storages: ask for transparent huge pages, so that the first touch (the read) faults
  // once per 2 MiB instead of once per 4 KiB; where THP is "madvise" this halves the read time.
  if (bytes >= (4u << 20)) {
    uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t begin = (reinterpret_cast<uintptr_t>(dst) + page - 1) & ~(page - 1);
    uintptr_t end = (reinterpret_cast<uintptr_t>(dst) + bytes) & ~(page - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
#endif
  size_t done = 0;
  off_t at = static_cast<off_t>(position);
  while (done < bytes) {
    ssize_t n = pread(fd, dst + done, bytes - done, at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) a.fail(std::string("reading the file failed: ") + std::strerror(errno));
    if (n == 0) a.fail("the file ends at byte " + std::to_string(at + static_cast<off_t>(done)) + ", inside data that runs to byte " + std::to_string(at + static_cast<off_t>(bytes)));
    done += static_cast<size_t>(n);
  }
  RET(out)
})

// toBuffer(t): a new ArrayBuffer with the tensor's elements, row-major (copied from any device;
// a CUDA tensor through pinned memory, then a wait for the copy).
DIME_OP(toBuffer, {
  auto t = a.tensor(0).detach();
  if (t.is_cuda()) {
    t = t.contiguous().to(at::kCPU, /*non_blocking=*/true);
    torch::cuda::synchronize();
  }
  t = t.to(at::kCPU).contiguous();
  size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  auto buffer = Napi::ArrayBuffer::New(a.env(), bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  return buffer;
})

DIME_OP(empty, { RET(at::empty(a.ints(0), options(a, 1, 2))) })
DIME_OP(zeros, { RET(at::zeros(a.ints(0), options(a, 1, 2))) })
DIME_OP(ones, { RET(at::ones(a.ints(0), options(a, 1, 2))) })
DIME_OP(full, { RET(at::full(a.ints(0), a.scalar(1), options(a, 2, 3))) })
DIME_OP(eye, { RET(at::eye(a.int64(0), options(a, 1, 2))) })
DIME_OP(arange, { RET(at::arange(a.scalar(0), a.scalar(1), a.scalar(2), options(a, 3, 4))) })
DIME_OP(linspace, { RET(at::linspace(a.scalar(0), a.scalar(1), a.int64(2), options(a, 3, 4))) })

// Random factories draw on CPU from the given generator (or the default one), then move, so that a
// seed gives the same numbers on every device.
DIME_OP(rand, {
  auto gen = a.generator(3);
  auto t = at::rand(a.ints(0), gen, at::TensorOptions().dtype(a.dtype(1)));
  RET(t.to(a.device(2)))
})
DIME_OP(randn, {
  auto gen = a.generator(3);
  auto t = at::randn(a.ints(0), gen, at::TensorOptions().dtype(a.dtype(1)));
  RET(t.to(a.device(2)))
})
DIME_OP(randint, {
  auto gen = a.generator(4);
  auto t = at::randint(a.int64(0), a.int64(1), a.ints(2), gen, at::TensorOptions().dtype(at::kLong));
  RET(t.to(a.device(3)))
})
DIME_OP(randperm, {
  auto gen = a.generator(2);
  auto t = at::randperm(a.int64(0), gen, at::TensorOptions().dtype(at::kLong));
  RET(t.to(a.device(1)))
})
DIME_OP(bernoulli, {
  auto p = a.tensor(0);
  auto gen = a.generator(1);
  RET(at::bernoulli(p.to(at::kCPU), gen).to(p.device()))
})
DIME_OP(uniform_, {
  auto t = a.tensor(0);
  auto gen = a.generator(3);
  if (t.is_cpu()) {
    t.uniform_(a.number(1), a.number(2), gen);
  } else {
    t.copy_(at::empty(t.sizes(), t.options().device(at::kCPU)).uniform_(a.number(1), a.number(2), gen));
  }
  RET_UNDEF
})
DIME_OP(normal_, {
  auto t = a.tensor(0);
  auto gen = a.generator(3);
  if (t.is_cpu()) {
    t.normal_(a.number(1), a.number(2), gen);
  } else {
    t.copy_(at::empty(t.sizes(), t.options().device(at::kCPU)).normal_(a.number(1), a.number(2), gen));
  }
  RET_UNDEF
})

// --- conversion
DIME_OP(toDtype, { RET(a.tensor(0).to(a.dtype(1))) })
// toDevice(t, device, nonBlocking?): nonBlocking returns before a copy from or to pinned memory
// has finished (to the CPU: into pinned memory); wait with cudaSynchronize before reading it.
DIME_OP(toDevice, { RET(a.tensor(0).to(a.device(1), /*non_blocking=*/a.has(2) && a.boolean(2))) })
// pinMemory(t): a copy of a CPU tensor in pinned host memory (t itself when it is pinned already).
DIME_OP(pinMemory, {
  auto t = a.tensor(0);
  if (!t.is_cpu()) a.fail("only CPU tensors can be pinned, got one on " + t.device().str());
  if (!torch::cuda::is_available()) a.fail("pinned memory needs CUDA, and this libtorch sees no CUDA device");
  RET(t.is_pinned() ? t : t.pin_memory())
})
DIME_OP(isPinned, { return Napi::Boolean::New(a.env(), a.tensor(0).is_cpu() && torch::cuda::is_available() && a.tensor(0).is_pinned()); })
DIME_OP(clone, { RET(a.tensor(0).clone()) })
DIME_OP(contiguous, { RET(a.tensor(0).contiguous()) })
DIME_OP(detach, { RET(a.tensor(0).detach()) })
// setData_(t, src): t takes src's data, dtype and device, keeping its identity and autograd
// flags (PyTorch's `param.data = ...`; Module.to() moves parameters with it).
DIME_OP(setData_, {
  a.tensor(0).set_data(a.tensor(1));
  RET_UNDEF
})

}  // namespace dime
