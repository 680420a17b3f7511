// Batch norm folded into the convolution before it, for inference: in eval mode BN(conv(x)) is
// conv(x) with weight * s and bias (b - mean) * s + beta, s = gamma / sqrt(var + eps), per output
// channel, so one convolution replaces a convolution and a pass over its output.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { Conv2d } from "./conv.js";
import type { BatchNorm2d } from "./norm.js";
import { recordMacs } from "./macs.js";

/**
 * The weight (out, in/groups, kh, kw) and bias (out) of `conv` followed by `norm` in eval mode.
 * New tensors, cut from autograd (the fold is for inference only).
 * @throws Error when norm keeps no running statistics (it would normalise with each batch's own).
 */
export function foldConvBatchNorm(conv: Conv2d, norm: BatchNorm2d): { weight: Tensor; bias: Tensor } {
  const mean = norm.runningMean;
  const variance = norm.runningVar;
  if (!mean || !variance) throw new Error("foldConvBatchNorm: the batch norm keeps no running statistics, so it cannot be folded");
  if (norm.numFeatures !== conv.outChannels)
    throw new Error(`foldConvBatchNorm: the batch norm has ${norm.numFeatures} channels, the convolution ${conv.outChannels} outputs`);
  return torch.tidy(() =>
    torch.noGrad(() => {
      let scale = variance.add(norm.eps).rsqrt(); // (out)
      if (norm.weight) scale = scale.mul(norm.weight);
      const weight = conv.weight.mul(scale.view(-1, 1, 1, 1));
      let bias = conv.bias ? conv.bias.sub(mean).mul(scale) : mean.neg().mul(scale);
      if (norm.bias) bias = bias.add(norm.bias);
      return { weight: weight.contiguous(), bias: bias.contiguous() };
    }),
  );
}

/** conv's convolution (its stride, padding, dilation, groups; zero padding) with another weight and bias, MACs counted. */
export function convolveWith(conv: Conv2d, weight: Tensor, bias: Tensor, x: Tensor): Tensor {
  if (conv.paddingMode !== "zeros") throw new Error(`convolveWith: padding mode ${conv.paddingMode} is not supported`);
  const out = torch.F.conv2d(x, weight, bias, { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups });
  recordMacs(out.numel * (conv.inChannels / conv.groups) * conv.kernelSize[0] * conv.kernelSize[1]);
  return out;
}
