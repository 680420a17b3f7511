// What differs between the libtorch versions the addon builds against, in one place: Debian's
// 1.13 (CI) and the 2.x inside PyPI's torch wheels (scripts/check-libtorch.sh). The ops use these
// names only, never the version macros. (The C++ standard differs too: 2.10 and later need C++20;
// native/find-libtorch.mjs picks it for the build.)
#pragma once

#include <dlfcn.h>

#include <ATen/Context.h>
#include <c10/util/Optional.h>
#include <torch/version.h>

#include <optional>

namespace dime {

// libtorch's optional arguments. Up to 2.3 c10::optional is c10's own class, which the op
// signatures take; from 2.4 they take std::optional, and c10::optional is a deprecated alias that
// builds with C10_NODEPRECATED (and, later, every build) lack.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
template <typename T>
using Optional = std::optional<T>;
inline constexpr auto kNone = std::nullopt;
#else
template <typename T>
using Optional = c10::optional<T>;
inline constexpr auto kNone = c10::nullopt;
#endif

// libtorch 2.x asks NNPACK whether it can run a float convolution that oneDNN did not take, and
// on a CPU without what NNPACK needs (AVX2 and FMA on x86) that first question logs "Could not
// initialize NNPACK! Reason: Unsupported hardware" on stderr, once in every process. NNPACK
// would be chosen only for float batches of 16 or more that oneDNN declined, and the wheels'
// oneDNN takes those (ConvParams::use_mkldnn before use_nnpack). So the addon turns NNPACK off
// when it loads (torch.backends.nnpack's switch, from 2.0) rather than lowering the log level:
// libtorch's other warnings and errors still show. Debian's 1.13 has no switch and prints nothing.
inline void disableNnpack() {
#if TORCH_VERSION_MAJOR >= 2
  at::globalContext().setUserEnabledNNPACK(false);
#endif
}

// Debian's libtorch calls OpenBLAS for matrix products (and for the small convolutions oneDNN
// declines: im2col and a GEMM), and OpenBLAS keeps its own pool of threads, one per core, which
// spin for a while after each call. With libtorch's OpenMP threads on every core those spinning
// threads take cores from them: at 256 px and 2 threads the keypoint detector went from 25 to
// 32-39 ms and the dense motion from 47 to 60-104 ms, swinging from frame to frame
// (docs/speed.md). The addon runs OpenBLAS on the calling thread only; libtorch's threads do the
// parallel work. PyPI's wheels use MKL, whose threads are OpenMP's own: there the symbol is absent
// and nothing changes.
inline void blasOnCallingThread() {
  using SetThreads = void (*)(int);
  auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set != nullptr) set(1);
}

// OpenBLAS's thread count, or -1 where libtorch uses no OpenBLAS.
inline int blasThreads() {
  using GetThreads = int (*)();
  auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get == nullptr ? -1 : get();
}

}  // namespace dime
