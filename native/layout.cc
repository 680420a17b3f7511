// Memory layout and in-place activation for inference speed: channels-last (NHWC) tensors, which
// oneDNN convolves faster than NCHW for the generator's wide convolutions, and ReLU in place after a
// convolution whose batch norm was folded into it (no extra output tensor).
#include "handle.h"

namespace dime {

DIME_OP(toChannelsLast, { RET(a.tensor(0).contiguous(at::MemoryFormat::ChannelsLast)) })
DIME_OP(isChannelsLast, {
  return Napi::Boolean::New(a.env(), a.tensor(0).is_contiguous(at::MemoryFormat::ChannelsLast));
})
DIME_OP(relu_, {
  auto t = a.tensor(0);
  at::relu_(t);
  RET_UNDEF
})

}  // namespace dime
