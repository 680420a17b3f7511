// What differs between the libtorch versions the addon builds against, in one place: Debian's
// 1.13 (CI) and the 2.x inside PyPI's torch wheels (scripts/check-libtorch.sh). The ops use these
// names only, never the version macros. (The C++ standard differs too: 2.10 and later need C++20;
// native/find-libtorch.mjs picks it for the build.)
#pragma once

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

}  // namespace dime
