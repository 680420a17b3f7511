// TF.js conventions face-api's nets were trained with, in libtorch's NCHW: TensorFlow's 'same'
// padding (asymmetric: the odd extra row/column goes bottom/right), depthwise-separable convs,
// and loading a TF.js manifest into a Module (TF layouts and names -> PyTorch's).
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Conv2d, Module } from "../nn/index.js";
import { readTfjsWeights } from "./manifest.js";

export type TfPadding = "same" | "valid";

/**
 * TensorFlow's 'same' padding of one axis: the output has ceil(size / stride) elements, and of
 * the total padding, floor(total / 2) goes before and the rest after.
 */
export function samePadding(size: number, kernel: number, stride: number): [before: number, after: number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Pads x (N, C, H, W) for a TF 'same' window of `kernel` and `stride` with `value`. */
export function padSame(x: Tensor, kernel: number, stride: number, value = 0): Tensor {
  const [top, bottom] = samePadding(x.size(2), kernel, stride);
  const [left, right] = samePadding(x.size(3), kernel, stride);
  if (top + bottom + left + right === 0) return x;
  return torch.F.pad(x, [left, right, top, bottom], "constant", value);
}

/** tf.maxPool with 'same' padding: padded cells never win (TF ignores them). */
export function maxPoolSame(x: Tensor, kernel: number, stride: number): Tensor {
  return torch.F.maxPool2d(padSame(x, kernel, stride, -Infinity), kernel, { stride });
}

/** A square conv with TF padding: (N, in, H, W) -> (N, out, H', W'). Keys `weight`, `bias`. */
export class TfConv2d extends Conv2d {
  readonly tfPadding: TfPadding;

  constructor(
    inChannels: number,
    outChannels: number,
    kernel: number,
    options: { stride?: number; groups?: number; bias?: boolean; padding?: TfPadding } = {},
  ) {
    super(inChannels, outChannels, kernel, { stride: options.stride ?? 1, groups: options.groups, bias: options.bias });
    this.tfPadding = options.padding ?? "same";
  }

  override forward(x: Tensor): Tensor {
    return super.forward(this.tfPadding === "same" ? padSame(x, this.kernelSize[0], this.stride[0]) : x);
  }
}

/**
 * tf.separableConv2d + bias: a 3x3 depthwise conv (stride, 'same') then a 1x1 conv with the bias.
 * (N, in, H, W) -> (N, out, ceil(H / stride), ceil(W / stride)). Keys `depthwise.weight`
 * (in, 1, 3, 3), `pointwise.weight` (out, in, 1, 1), `pointwise.bias` (out).
 */
export class SeparableConv2d extends Module {
  readonly depthwise: TfConv2d;
  readonly pointwise: TfConv2d;

  constructor(inChannels: number, outChannels: number, stride = 1) {
    super();
    this.depthwise = this.registerModule("depthwise", new TfConv2d(inChannels, inChannels, 3, { stride, groups: inChannels, bias: false }));
    this.pointwise = this.registerModule("pointwise", new TfConv2d(inChannels, outChannels, 1));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.pointwise.forward(this.depthwise.forward(x)));
  }
}

/**
 * A TF.js tensor's PyTorch name and layout. face-api's names are `scope/.../leaf`; the scope
 * becomes the module path and the leaf says what the tensor is: `filters` (HWIO -> OIHW),
 * `depthwise_filter` (HWC1 -> C1HW), `pointwise_filter` (11IO -> OI11), `bias`/`biases`,
 * `weights` (dense (in, out) -> (out, in); a per-channel scale stays 1-D), or a bare 2-D name
 * (face recognition's `fc`, a dense kernel without bias). A bias beside a `pointwise_filter`
 * belongs to the pointwise conv (TF adds it after the separable conv).
 */
export function torchName(name: string, tf: Tensor, separableScopes: ReadonlySet<string>): [string, Tensor] {
  const parts = name.split("/");
  const leaf = parts.pop()!;
  const scope = parts.join(".");
  if (parts.length === 0 && tf.ndim === 2) return [`${leaf}.weight`, tf.transpose(0, 1)];
  switch (leaf) {
    case "filters":
      return [`${scope}.weight`, tf.permute(3, 2, 0, 1)];
    case "depthwise_filter":
      return [`${scope}.depthwise.weight`, tf.permute(2, 3, 0, 1)];
    case "pointwise_filter":
      return [`${scope}.pointwise.weight`, tf.permute(3, 2, 0, 1)];
    case "bias":
    case "biases":
      return [separableScopes.has(scope) ? `${scope}.pointwise.bias` : `${scope}.bias`, tf];
    case "weights":
      return [`${scope}.weight`, tf.ndim === 2 ? tf.transpose(0, 1) : tf];
    default:
      throw new Error(`TF.js tensor '${name}': unknown kind '${leaf}'`);
  }
}

/**
 * Loads a TF.js manifest (and its shards) into `module`: every tensor must be there with the
 * right shape, and nothing else (one line naming the file otherwise). Parameters are frozen:
 * these nets are measuring instruments, never trained here.
 */
export function loadTfjsWeights(module: Module, manifestPath: string): void {
  torch.tidy(() => {
    const tf = readTfjsWeights(manifestPath);
    const separable = new Set(
      [...tf.keys()].filter((n) => n.endsWith("/pointwise_filter")).map((n) => n.split("/").slice(0, -1).join(".")),
    );
    const state = new Map([...tf].map(([name, t]) => torchName(name, t, separable)));
    const problem = mismatch(module, state);
    if (problem) throw new Error(`${manifestPath}: does not fit ${module.constructor.name} (${problem}); is it this net's manifest?`);
    module.loadStateDict(state);
  });
  for (const p of module.parameters()) p.requiresGrad_(false);
  module.eval();
}

/** What keeps `state` from loading into `module`, briefly, or undefined when it fits. */
function mismatch(module: Module, state: ReadonlyMap<string, Tensor>): string | undefined {
  const own = module.stateDict();
  const list = (names: string[]) => names.slice(0, 3).join(", ") + (names.length > 3 ? ", ..." : "");
  const missing = [...own.keys()].filter((k) => !state.has(k));
  const unexpected = [...state.keys()].filter((k) => !own.has(k));
  const misShaped = [...own].filter(([k, t]) => state.has(k) && state.get(k)!.shape.join() !== t.shape.join());
  const parts = [
    missing.length > 0 ? `${missing.length} tensors missing: ${list(missing)}` : "",
    unexpected.length > 0 ? `${unexpected.length} unexpected: ${list(unexpected)}` : "",
    misShaped.length > 0
      ? `${misShaped.length} mis-shaped: ${list(misShaped.map(([k, t]) => `${k} [${state.get(k)!.shape}] for [${t.shape}]`))}`
      : "",
  ].filter((p) => p !== "");
  return parts.length > 0 ? parts.join("; ") : undefined;
}
