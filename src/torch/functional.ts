// Neural-network functions (torch.nn.functional): convolution, normalisation, pooling,
// resampling, dropout and losses. Images are (N, C, H, W).
import { native } from "./binding.js";
import { Tensor } from "./tensor.js";

type Pair = number | readonly [number, number];

function pair(value: Pair): number[] {
  return typeof value === "number" ? [value, value] : [value[0], value[1]];
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** x (N, Cin, H, W), weight (Cout, Cin/groups, kh, kw), bias (Cout). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, options: Conv2dOptions = {}): Tensor {
  return new Tensor(
    native.conv2d(
      x.handle("conv2d"),
      weight.handle("conv2d"),
      bias?.handle("conv2d"),
      pair(options.stride ?? 1),
      pair(options.padding ?? 0),
      pair(options.dilation ?? 1),
      options.groups ?? 1,
    ),
  );
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

/** x (N, Cin, H, W), weight (Cin, Cout/groups, kh, kw), bias (Cout). */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor, options: ConvTranspose2dOptions = {}): Tensor {
  return new Tensor(
    native.convTranspose2d(
      x.handle("convTranspose2d"),
      weight.handle("convTranspose2d"),
      bias?.handle("convTranspose2d"),
      pair(options.stride ?? 1),
      pair(options.padding ?? 0),
      pair(options.outputPadding ?? 0),
      options.groups ?? 1,
      pair(options.dilation ?? 1),
    ),
  );
}

/** x W^T + b; weight (out, in). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return new Tensor(native.linear(x.handle("linear"), weight.handle("linear"), bias?.handle("linear")));
}

export interface NormOptions {
  weight?: Tensor;
  bias?: Tensor;
  runningMean?: Tensor;
  runningVar?: Tensor;
  /** Batch statistics (and running-stat updates, in place) when true; running stats when false. */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch normalisation over (N, H, W) per channel, as torch.nn.functional.batch_norm. */
export function batchNorm(x: Tensor, options: NormOptions = {}): Tensor {
  const training = options.training ?? false;
  if (!training && (options.runningMean === undefined || options.runningVar === undefined)) {
    throw new TypeError("batchNorm: eval mode needs runningMean and runningVar");
  }
  return new Tensor(
    native.batchNorm(
      x.handle("batchNorm"),
      options.weight?.handle("batchNorm"),
      options.bias?.handle("batchNorm"),
      options.runningMean?.handle("batchNorm"),
      options.runningVar?.handle("batchNorm"),
      training,
      options.momentum ?? 0.1,
      options.eps ?? 1e-5,
    ),
  );
}

/** Instance normalisation over (H, W) per sample and channel. */
export function instanceNorm(x: Tensor, options: NormOptions & { useInputStats?: boolean } = {}): Tensor {
  return new Tensor(
    native.instanceNorm(
      x.handle("instanceNorm"),
      options.weight?.handle("instanceNorm"),
      options.bias?.handle("instanceNorm"),
      options.runningMean?.handle("instanceNorm"),
      options.runningVar?.handle("instanceNorm"),
      options.useInputStats ?? true,
      options.momentum ?? 0.1,
      options.eps ?? 1e-5,
    ),
  );
}

export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  return new Tensor(native.layerNorm(x.handle("layerNorm"), normalizedShape, weight?.handle("layerNorm"), bias?.handle("layerNorm"), eps));
}

export function groupNorm(x: Tensor, groups: number, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  return new Tensor(native.groupNorm(x.handle("groupNorm"), groups, weight?.handle("groupNorm"), bias?.handle("groupNorm"), eps));
}

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

export function avgPool2d(x: Tensor, kernel: Pair, options: PoolOptions & { countIncludePad?: boolean } = {}): Tensor {
  return new Tensor(
    native.avgPool2d(
      x.handle("avgPool2d"),
      pair(kernel),
      pair(options.stride ?? kernel),
      pair(options.padding ?? 0),
      options.ceilMode ?? false,
      options.countIncludePad ?? true,
    ),
  );
}

export function maxPool2d(x: Tensor, kernel: Pair, options: PoolOptions & { dilation?: Pair } = {}): Tensor {
  return new Tensor(
    native.maxPool2d(
      x.handle("maxPool2d"),
      pair(kernel),
      pair(options.stride ?? kernel),
      pair(options.padding ?? 0),
      pair(options.dilation ?? 1),
      options.ceilMode ?? false,
    ),
  );
}

export function adaptiveAvgPool2d(x: Tensor, size: Pair): Tensor {
  return new Tensor(native.adaptiveAvgPool2d(x.handle("adaptiveAvgPool2d"), pair(size)));
}

export interface InterpolateOptions {
  /** Output (H, W); give this or scaleFactor. */
  size?: Pair;
  /** Output = floor(input * scale); the scale itself is passed on to the kernel, as PyTorch does. */
  scaleFactor?: Pair;
  mode?: "nearest" | "bilinear" | "bicubic";
  /** For bilinear and bicubic: corner pixels' centres map to corners (default false, as PyTorch). */
  alignCorners?: boolean;
}

/** Resizes (N, C, H, W) images, as torch.nn.functional.interpolate. */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const mode = options.mode ?? "nearest";
  const [inH, inW] = [x.size(-2), x.size(-1)];
  let size: number[];
  let scales: [number | undefined, number | undefined] = [undefined, undefined];
  if (options.size !== undefined) {
    size = pair(options.size);
  } else if (options.scaleFactor !== undefined) {
    const [sh, sw] = pair(options.scaleFactor);
    size = [Math.floor(inH * sh), Math.floor(inW * sw)];
    scales = [sh, sw];
  } else {
    throw new TypeError("interpolate: give size or scaleFactor");
  }
  if (mode === "nearest") {
    if (options.alignCorners !== undefined) throw new TypeError("interpolate: alignCorners only applies to bilinear and bicubic");
    return new Tensor(native.upsampleNearest2d(x.handle("interpolate"), size, scales[0], scales[1]));
  }
  const align = options.alignCorners ?? false;
  const fn = mode === "bilinear" ? native.upsampleBilinear2d : native.upsampleBicubic2d;
  return new Tensor(fn(x.handle("interpolate"), size, align, scales[0], scales[1]));
}

const SAMPLE_MODES = { bilinear: 0, nearest: 1, bicubic: 2 } as const;
const PADDING_MODES = { zeros: 0, border: 1, reflection: 2 } as const;

export interface GridSampleOptions {
  mode?: keyof typeof SAMPLE_MODES;
  paddingMode?: keyof typeof PADDING_MODES;
  /** Default true here (the project's convention, DESIGN section 3); PyTorch's default is false. */
  alignCorners?: boolean;
}

/**
 * Samples x (N, C, H, W) at grid (N, h, w, 2) holding (x, y) in [-1, 1]; returns (N, C, h, w).
 * DEVIATION: alignCorners defaults to true, the convention of every grid in this project.
 */
export function gridSample(x: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  const mode = SAMPLE_MODES[options.mode ?? "bilinear"];
  const padding = PADDING_MODES[options.paddingMode ?? "zeros"];
  if (mode === undefined) throw new TypeError(`gridSample: unknown mode '${options.mode}'`);
  if (padding === undefined) throw new TypeError(`gridSample: unknown paddingMode '${options.paddingMode}'`);
  return new Tensor(native.gridSample(x.handle("gridSample"), grid.handle("gridSample"), mode, padding, options.alignCorners ?? true));
}

/**
 * Pads the last dimensions: pads = [left, right, top, bottom, ...] (last dimension first), as
 * torch.nn.functional.pad.
 */
export function pad(
  x: Tensor,
  pads: readonly number[],
  mode: "constant" | "reflect" | "replicate" | "circular" = "constant",
  value = 0,
): Tensor {
  return new Tensor(native.pad(x.handle("pad"), pads, mode, mode === "constant" ? value : undefined));
}

/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  return new Tensor(native.dropout(x.handle("dropout"), p, training));
}

export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}
export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}
export function tanh(x: Tensor): Tensor {
  return x.tanh();
}
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return x.leakyRelu(negativeSlope);
}

export type Reduction = "none" | "mean" | "sum";
const REDUCTIONS: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

export function l1Loss(a: Tensor, b: Tensor, reduction: Reduction = "mean"): Tensor {
  return new Tensor(native.l1Loss(a.handle("l1Loss"), b.handle("l1Loss"), REDUCTIONS[reduction]));
}
export function mseLoss(a: Tensor, b: Tensor, reduction: Reduction = "mean"): Tensor {
  return new Tensor(native.mseLoss(a.handle("mseLoss"), b.handle("mseLoss"), REDUCTIONS[reduction]));
}
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, weight?: Tensor, reduction: Reduction = "mean"): Tensor {
  return new Tensor(native.bceWithLogits(logits.handle("bce"), target.handle("bce"), weight?.handle("bce"), REDUCTIONS[reduction]));
}
/** logits (N, C, ...), target int64 class indices (N, ...). */
export function crossEntropy(logits: Tensor, target: Tensor, weight?: Tensor, reduction: Reduction = "mean"): Tensor {
  return new Tensor(
    native.crossEntropy(
      logits.handle("crossEntropy"),
      target.handle("crossEntropy"),
      weight?.handle("crossEntropy"),
      REDUCTIONS[reduction],
    ),
  );
}
