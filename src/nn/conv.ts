// Conv2d and ConvTranspose2d layers (torch.nn.Conv2d, torch.nn.ConvTranspose2d), initialised as
// PyTorch does.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module } from "./module.js";
import { defaultLayerInit_ } from "./init.js";

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
export class Conv2d extends Module {
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
    const weight = torch.empty([outChannels, inChannels / this.groups, ...this.kernelSize]);
    const bias = options.bias === false ? undefined : torch.empty([outChannels]);
    defaultLayerInit_(weight, bias);
    this.registerParameter("weight", weight);
    if (bias !== undefined) this.registerParameter("bias", bias);
  }

  get weight(): Tensor {
    return this.parameter("weight");
  }
  get bias(): Tensor | undefined {
    return this.hasParameter("bias") ? this.parameter("bias") : undefined;
  }

  forward(x: Tensor): Tensor {
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
export class ConvTranspose2d extends Module {
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
    const weight = torch.empty([inChannels, outChannels / this.groups, ...this.kernelSize]);
    const bias = options.bias === false ? undefined : torch.empty([outChannels]);
    // PyTorch computes fan_in from the weight's dim 1 here too (out/groups * kh * kw).
    defaultLayerInit_(weight, bias);
    this.registerParameter("weight", weight);
    if (bias !== undefined) this.registerParameter("bias", bias);
  }

  get weight(): Tensor {
    return this.parameter("weight");
  }
  get bias(): Tensor | undefined {
    return this.hasParameter("bias") ? this.parameter("bias") : undefined;
  }

  forward(x: Tensor): Tensor {
    return torch.F.convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
