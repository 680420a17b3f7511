// Conv2d and ConvTranspose2d layers (torch.nn.Conv2d, torch.nn.ConvTranspose2d), initialised as
// PyTorch does.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { WeightedLayer } from "./weighted.js";
import { recordMacs } from "./macs.js";

type Pair = number | readonly [number, number];

function pair(value: Pair): [number, number] {
  return typeof value === "number" ? [value, value] : [value[0], value[1]];
}

export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** How the border is padded (default zeros). */
  paddingMode?: PaddingMode;
}

function checkGroups(layer: string, inChannels: number, outChannels: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`${layer}: groups must be a positive integer, got ${groups}`);
  if (inChannels % groups !== 0) throw new RangeError(`${layer}: inChannels (${inChannels}) must be divisible by groups (${groups})`);
  if (outChannels % groups !== 0) throw new RangeError(`${layer}: outChannels (${outChannels}) must be divisible by groups (${groups})`);
}

/** 2-D convolution: (N, inChannels, H, W) -> (N, outChannels, H', W'). Parameters `weight` (out, in/groups, kh, kw) and `bias` (out). */
export class Conv2d extends WeightedLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly paddingMode: PaddingMode;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = options.groups ?? 1;
    this.paddingMode = options.paddingMode ?? "zeros";
    checkGroups("Conv2d", inChannels, outChannels, this.groups);
    this.initWeightAndBias([outChannels, inChannels / this.groups, ...this.kernelSize], outChannels, options.bias !== false);
  }

  forward(x: Tensor): Tensor {
    const out = this.#convolve(x);
    recordMacs(out.numel * (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1]);
    return out;
  }

  #convolve(x: Tensor): Tensor {
    const options = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    const mode = this.paddingMode;
    if (mode === "zeros") return torch.F.conv2d(x, this.weight, this.bias, { ...options, padding: this.padding });
    const [ph, pw] = this.padding;
    const padded = torch.F.pad(x, [pw, pw, ph, ph], mode);
    const out = torch.F.conv2d(padded, this.weight, this.bias, options);
    padded.dispose();
    return out;
  }
}

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  /** Extra rows/columns on one side of the output, to pick among the sizes a stride allows. */
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Default true. */
  bias?: boolean;
}

/**
 * Transposed 2-D convolution: (N, inChannels, H, W) -> (N, outChannels, H', W'). Parameters
 * `weight` (in, out/groups, kh, kw), as PyTorch, and `bias` (out).
 */
export class ConvTranspose2d extends WeightedLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvTranspose2dOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.outputPadding = pair(options.outputPadding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = options.groups ?? 1;
    checkGroups("ConvTranspose2d", inChannels, outChannels, this.groups);
    // PyTorch computes fan_in from the weight's dim 1 here too (out/groups * kh * kw).
    this.initWeightAndBias([inChannels, outChannels / this.groups, ...this.kernelSize], outChannels, options.bias !== false);
  }

  forward(x: Tensor): Tensor {
    recordMacs(x.numel * (this.outChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1]);
    return torch.F.convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
