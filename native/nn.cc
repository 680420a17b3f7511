// Neural-network ops: convolutions, normalisation, pooling, resampling, losses.
#include "handle.h"

namespace dime {

// conv2d(x, weight, bias?, stride, padding, dilation, groups)
DIME_OP(conv2d, {
  RET(at::conv2d(a.tensor(0), a.tensor(1), a.optTensor(2), a.ints(3), a.ints(4), a.ints(5), a.int64(6)))
})
// convTranspose2d(x, weight, bias?, stride, padding, outputPadding, groups, dilation)
DIME_OP(convTranspose2d, {
  RET(at::conv_transpose2d(a.tensor(0), a.tensor(1), a.optTensor(2), a.ints(3), a.ints(4), a.ints(5), a.int64(6), a.ints(7)))
})
// batchNorm(x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps): in training
// mode the running statistics are updated in place.
DIME_OP(batchNorm, {
  RET(at::batch_norm(a.tensor(0), a.optTensor(1), a.optTensor(2), a.optTensor(3), a.optTensor(4), a.boolean(5),
                     a.number(6), a.number(7), true))
})
// instanceNorm(x, weight?, bias?, runningMean?, runningVar?, useInputStats, momentum, eps)
DIME_OP(instanceNorm, {
  RET(at::instance_norm(a.tensor(0), a.optTensor(1), a.optTensor(2), a.optTensor(3), a.optTensor(4), a.boolean(5),
                        a.number(6), a.number(7), true))
})
DIME_OP(layerNorm, { RET(at::layer_norm(a.tensor(0), a.ints(1), a.optTensor(2), a.optTensor(3), a.number(4))) })
DIME_OP(groupNorm, { RET(at::group_norm(a.tensor(0), a.int64(1), a.optTensor(2), a.optTensor(3), a.number(4))) })
// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad)
DIME_OP(avgPool2d, {
  RET(at::avg_pool2d(a.tensor(0), a.ints(1), a.ints(2), a.ints(3), a.boolean(4), a.boolean(5)))
})
// maxPool2d(x, kernel, stride, padding, dilation, ceilMode)
DIME_OP(maxPool2d, {
  RET(at::max_pool2d(a.tensor(0), a.ints(1), a.ints(2), a.ints(3), a.ints(4), a.boolean(5)))
})
DIME_OP(adaptiveAvgPool2d, { RET(at::adaptive_avg_pool2d(a.tensor(0), a.ints(1))) })
// Resampling: output size, then the scale factors PyTorch passes when the caller gave
// scale_factor (they change the source-coordinate mapping when align_corners is false).
DIME_OP(upsampleNearest2d, {
  RET(at::upsample_nearest2d(a.tensor(0), a.ints(1), a.optNumber(2), a.optNumber(3)))
})
DIME_OP(upsampleBilinear2d, {
  RET(at::upsample_bilinear2d(a.tensor(0), a.ints(1), a.boolean(2), a.optNumber(3), a.optNumber(4)))
})
DIME_OP(upsampleBicubic2d, {
  RET(at::upsample_bicubic2d(a.tensor(0), a.ints(1), a.boolean(2), a.optNumber(3), a.optNumber(4)))
})
// gridSample(x, grid, mode, padding, alignCorners); mode 0 bilinear, 1 nearest, 2 bicubic;
// padding 0 zeros, 1 border, 2 reflection (the codes of at::grid_sampler).
DIME_OP(gridSample, {
  int64_t mode = a.int64(2), padding = a.int64(3);
  if (mode < 0 || mode > 2) a.fail("unknown interpolation mode " + std::to_string(mode));
  if (padding < 0 || padding > 2) a.fail("unknown padding mode " + std::to_string(padding));
  RET(at::grid_sampler(a.tensor(0), a.tensor(1), mode, padding, a.boolean(4)))
})
// Losses with reduction 0 none, 1 mean, 2 sum (at::Reduction).
DIME_OP(l1Loss, { RET(at::l1_loss(a.tensor(0), a.tensor(1), a.int64(2))) })
DIME_OP(mseLoss, { RET(at::mse_loss(a.tensor(0), a.tensor(1), a.int64(2))) })
DIME_OP(bceWithLogits, {
  RET(at::binary_cross_entropy_with_logits(a.tensor(0), a.tensor(1), a.optTensor(2), kNone, a.int64(3)))
})
DIME_OP(crossEntropy, { RET(at::cross_entropy_loss(a.tensor(0), a.tensor(1), a.optTensor(2), a.int64(3))) })

}  // namespace dime
