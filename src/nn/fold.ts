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

/**
 * Nearest x2 upsampling then a 3x3 convolution (padding 1), rewritten for inference as four 2x2
 * convolutions on the small input, one per output phase: output pixel (2i + py, 2j + px) sees
 * input rows {i - 1, i} (py 0) or {i, i + 1} (py 1), each with the sum of the 3x3 kernel's rows
 * that fall on it (py 0: [w0, w1 + w2]; py 1: [w0 + w1, w2]), and the same for columns. 16 rather
 * than 36 multiply-adds per output channel, input channel and input pixel, and no upsampled
 * tensor. Returns the phases' weights stacked as (4 * out, in, 2, 2), phase p = 2 py + px
 * outermost, and the bias repeated to match; new tensors, cut from autograd.
 */
export function upsampledConvWeights(weight: Tensor, bias: Tensor): { weight: Tensor; bias: Tensor } {
  const [, , kh, kw] = weight.shape;
  if (kh !== 3 || kw !== 3) throw new Error(`upsampledConvWeights: a 3x3 kernel is needed, got ${kh}x${kw}`);
  return torch.tidy(() =>
    torch.noGrad(() => {
      // Rows (or columns) of the 3x3 kernel summed onto the two input rows each phase reads.
      const sums = [
        torch.tensor([
          [1, 0, 0],
          [0, 1, 1],
        ]),
        torch.tensor([
          [1, 1, 0],
          [0, 0, 1],
        ]),
      ].map((m) => m.to(weight.dtype).to(weight.device));
      const w = weight.contiguous();
      const phases = [0, 1].flatMap((py) => [0, 1].map((px) => sums[py].matmul(w).matmul(sums[px].transpose(0, 1))));
      return { weight: torch.cat(phases, 0).contiguous(), bias: bias.repeat(4).contiguous() };
    }),
  );
}

/**
 * conv3x3(nearest x2 upsample of x) with `weight` and `bias` from upsampledConvWeights:
 * (B, in, H, W) -> (B, out, 2H, 2W), in x's memory format (channels-last or NCHW). Equal to
 * the upsample and convolution up to float rounding; one 2x2 convolution (padding 1, so each
 * phase is a shifted (H, W) window of its (H + 1, W + 1) output) and four strided copies.
 */
export function convolveUpsampled(x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  return torch.tidy(() => {
    const [batch, , height, width] = x.shape;
    const out = weight.size(0) / 4;
    const y = torch.F.conv2d(x, weight, bias, { padding: 1 });
    recordMacs(y.numel * x.size(1) * 4);
    const nhwc = x.isChannelsLast() && x.size(1) > 1;
    // The result's memory seen as (B, H, 2, W, 2, C) (channels-last) or (B, C, H, 2, W, 2), so that
    // each phase (py, px) is a strided (H, W) slice of it.
    const result = torch.empty(nhwc ? [batch, 2 * height, 2 * width, out] : [batch, out, 2 * height, 2 * width], {
      dtype: y.dtype,
      device: y.device,
    });
    const grid = nhwc ? result.view(batch, height, 2, width, 2, out) : result.view(batch, out, height, 2, width, 2);
    for (const py of [0, 1])
      for (const px of [0, 1]) {
        const phase = y
          .narrow(1, (2 * py + px) * out, out)
          .narrow(2, py, height)
          .narrow(3, px, width);
        if (nhwc)
          grid
            .select(2, py)
            .select(3, px)
            .copy_(phase.permute(0, 2, 3, 1));
        else grid.select(3, py).select(4, px).copy_(phase);
      }
    return nhwc ? result.permute(0, 3, 1, 2) : result;
  });
}
