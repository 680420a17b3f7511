// Weight initialisation, as torch.nn.init: every function fills its tensor in place, without
// recording autograd, drawing from libtorch's default generator (or the one given), so that
// torch.manualSeed(s) followed by the same constructions as in PyTorch gives the same weights.
import * as torch from "../torch/index.js";
import type { Tensor, Generator } from "../torch/index.js";

export type Nonlinearity = "linear" | "conv2d" | "conv_transpose2d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";

/**
 * fan_in and fan_out as torch.nn.init._calculate_fan_in_and_fan_out: dims 1 and 0 times the
 * receptive field (so a transposed conv's weight (Cin, Cout/groups, kh, kw) has fan_in
 * Cout/groups * kh * kw, as in PyTorch).
 */
export function fanInAndFanOut(tensor: Tensor): { fanIn: number; fanOut: number } {
  const shape = tensor.shape;
  if (shape.length < 2) throw new RangeError(`fan in and fan out need at least 2 dimensions, got shape [${shape.join(", ")}]`);
  let receptive = 1;
  for (const s of shape.slice(2)) receptive *= s;
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv2d":
    case "conv_transpose2d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
  }
}

function fill(tensor: Tensor, fn: () => void): Tensor {
  torch.noGrad(fn);
  return tensor;
}

/** U(low, high) in place. */
export function uniform_(tensor: Tensor, low = 0, high = 1, generator?: Generator): Tensor {
  return fill(tensor, () => torch.uniform_(tensor, low, high, generator));
}

/** N(mean, std^2) in place. */
export function normal_(tensor: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  return fill(tensor, () => torch.normal_(tensor, mean, std, generator));
}

export function constant_(tensor: Tensor, value: number): Tensor {
  return fill(tensor, () => tensor.fill_(value));
}

export function zeros_(tensor: Tensor): Tensor {
  return constant_(tensor, 0);
}

export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu only). */
  a?: number;
  mode?: "fan_in" | "fan_out";
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

function kaimingStd(tensor: Tensor, options: KaimingOptions): number {
  const { fanIn, fanOut } = fanInAndFanOut(tensor);
  const fan = (options.mode ?? "fan_in") === "fan_in" ? fanIn : fanOut;
  const gain = calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He uniform: U(-b, b) with b = gain * sqrt(3 / fan) (torch.nn.init.kaiming_uniform_). */
export function kaimingUniform_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(tensor, options);
  return uniform_(tensor, -bound, bound, options.generator);
}

/** He normal: N(0, gain^2 / fan) (torch.nn.init.kaiming_normal_). */
export function kaimingNormal_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(tensor, 0, kaimingStd(tensor, options), options.generator);
}

/** Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform_(tensor: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = fanInAndFanOut(tensor);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(tensor, -bound, bound, generator);
}

/** Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)). */
export function xavierNormal_(tensor: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = fanInAndFanOut(tensor);
  return normal_(tensor, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

/**
 * PyTorch's default for conv and linear layers (their reset_parameters): the weight from
 * kaiming_uniform_ with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), then the bias
 * from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the weight's fan_in. Draws in that order.
 */
export function defaultLayerInit_(weight: Tensor, bias?: Tensor, generator?: Generator): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias === undefined) return;
  const { fanIn } = fanInAndFanOut(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  uniform_(bias, -bound, bound, generator);
}
