// Autocast state per device type across libtorch versions: 1.13 has one function per device
// (set_enabled for CUDA, set_cpu_enabled for the CPU), 2.4+ takes the device type as an argument
// and deprecates the old names. These few lines are the only place that knows the difference.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define DIME_AUTOCAST_BY_DEVICE 1
#else
#define DIME_AUTOCAST_BY_DEVICE 0
#endif

namespace dime {
namespace autocast {

inline bool isEnabled(at::DeviceType device) {
#if DIME_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(device);
#else
  return device == at::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

inline void setEnabled(at::DeviceType device, bool enabled) {
#if DIME_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(device, enabled);
#else
  if (device == at::kCPU) at::autocast::set_cpu_enabled(enabled);
  else at::autocast::set_enabled(enabled);
#endif
}

inline at::ScalarType getDtype(at::DeviceType device) {
#if DIME_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(device);
#else
  return device == at::kCPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

inline void setDtype(at::DeviceType device, at::ScalarType dtype) {
#if DIME_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == at::kCPU) at::autocast::set_autocast_cpu_dtype(dtype);
  else at::autocast::set_autocast_gpu_dtype(dtype);
#endif
}

}  // namespace autocast
}  // namespace dime
