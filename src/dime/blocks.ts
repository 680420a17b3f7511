// FOMM's building blocks (modules/util.py): conv-BN-ReLU blocks, the residual block and the
// hourglass (a U-Net) used by the keypoint detector, the coarse motion, the ODE dynamics and the
// SelfFlow. Parameter names follow FOMM's state dict (`down_blocks.0.conv.weight`, `norm`, ...).
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, Conv2d, BatchNorm2d, ModuleList } from "../nn/index.js";
import { convolveUpsampled, convolveWith, foldConvBatchNorm, upsampledConvWeights } from "../nn/fold.js";
import { recordMacs } from "../nn/macs.js";

type Pair = number | [number, number];

/**
 * A block whose batch norm can be folded into the convolution before it for inference. The folded
 * weight and bias are non-persistent buffers (freed and moved with the module, never in the state
 * dict); they serve eval-mode forwards only, and a training-mode forward drops them (the weights
 * change), so a model folded for inference and then trained is never run with a stale fold. Fold
 * again after loading other weights (loadStateDict does not know about the fold).
 */
export abstract class FoldableBlock extends Module {
  #folded = false;
  /** The derived buffers (see derived()) made since the last fold; the others are stale. */
  #fresh = new Set<string>();

  /** Folds the block's batch norm into its convolution (eval mode, running statistics). */
  abstract foldBatchNorm(): void;

  /**
   * Folds `norm` into `conv`, or with no norm takes a copy of conv's weight and bias (an eval-only
   * weight that tuneForInference may lay out channels-last without touching the parameter).
   * The buffers are named folded_weight and folded_bias, then `suffix`.
   */
  protected fold(conv: Conv2d, norm?: BatchNorm2d, suffix = ""): void {
    const { weight, bias } = norm
      ? foldConvBatchNorm(conv, norm)
      : torch.tidy(() => torch.noGrad(() => ({ weight: conv.weight.contiguous().clone(), bias: conv.bias!.clone() })));
    this.#store(`folded_weight${suffix}`, weight);
    this.#store(`folded_bias${suffix}`, bias);
    this.#folded = true;
    this.#fresh.clear();
  }

  /** Keeps `tensor` (owned from here on) as the non-persistent buffer `name`, replacing the data of one there. */
  #store(name: string, tensor: Tensor): void {
    if (!this.hasBuffer(name)) {
      this.registerBuffer(name, tensor, { persistent: false });
      return;
    }
    torch.noGrad(() => this.buffer(name).setData_(tensor));
    tensor.dispose();
  }

  /**
   * Eval-only buffers computed from the fold (`make` returns new tensors, one per name, in order):
   * made at their first use and kept until the next fold, as non-persistent buffers. They are
   * made outside inference mode even in an inference pass: an inference tensor could not be
   * remade in place later outside it (and its views then fail).
   */
  protected derived(names: readonly string[], make: () => Tensor[]): Tensor[] {
    if (!this.#fresh.has(names[0])) {
      const made = torch.outsideInferenceMode(() => torch.tidy(() => torch.noGrad(make)));
      names.forEach((name, i) => this.#store(name, made[i]));
      for (const name of names) this.#fresh.add(name);
    }
    return names.map((name) => this.buffer(name));
  }

  /**
   * The folded buffer `name` as the eval forward feeds it to a convolution: itself, or under
   * autocast its copy in autocast's dtype (a derived buffer named `name` then `_bfloat16` or
   * `_float16`). Autocast would otherwise cast every weight again at every call (it caches casts
   * of parameters only), which made bf16 hourglasses slower than PyTorch's (docs/speed.md).
   * The values are autocast's own cast.
   */
  protected folded(name: string): Tensor {
    const weight = this.buffer(name);
    const dtype = torch.autocastDtypeOn(weight.device);
    if (dtype === undefined || weight.dtype !== "float32") return weight;
    return this.derived([`${name}_${dtype}`], () => [weight.to(dtype)])[0];
  }

  /** True once folded and until a training-mode forward. */
  get isFolded(): boolean {
    return this.#folded;
  }

  /** True when this forward is to use the fold: folded and in eval mode. A training-mode call drops the fold. */
  protected useFold(): boolean {
    if (this.training) this.#folded = false;
    return this.#folded;
  }

  /** conv with the folded weights (its batch norm applied) in eval mode, or undefined: run conv and norm. */
  protected foldedConv(conv: Conv2d, x: Tensor, suffix = ""): Tensor | undefined {
    if (!this.useFold()) return undefined;
    return convolveWith(conv, this.folded(`folded_weight${suffix}`), this.folded(`folded_bias${suffix}`), x);
  }
}

/** A conv and a batch norm named `conv` and `norm`, as FOMM's Same/Down/UpBlock2d hold them. */
abstract class ConvNormBlock extends FoldableBlock {
  readonly conv: Conv2d;
  readonly norm: BatchNorm2d;

  constructor(inFeatures: number, outFeatures: number, kernelSize: Pair = 3, padding: Pair = 1) {
    super();
    this.conv = this.registerModule("conv", new Conv2d(inFeatures, outFeatures, kernelSize, { padding }));
    this.norm = this.registerModule("norm", new BatchNorm2d(outFeatures));
  }

  /**
   * Folds `norm` into `conv` for inference (nn/fold.ts): eval-mode forward then runs one
   * convolution and an in-place ReLU. Training mode ignores the fold and drops it.
   */
  foldBatchNorm(): void {
    this.fold(this.conv, this.norm);
  }

  /** ReLU(BN(conv(x))) */
  protected convNormRelu(x: Tensor): Tensor {
    const folded = this.foldedConv(this.conv, x);
    if (folded) return folded.relu_();
    return this.norm.forward(this.conv.forward(x)).relu();
  }

  abstract forward(x: Tensor): Tensor;
}

/** conv -> BN -> ReLU (FOMM's SameBlock2d): (B, in, H, W) -> (B, out, H, W). */
export class SameBlock2d extends ConvNormBlock {
  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.convNormRelu(x));
  }
}

/** conv3x3 -> BN -> ReLU -> 2x2 average pool: (B, in, H, W) -> (B, out, H/2, W/2). */
export class DownBlock2d extends ConvNormBlock {
  forward(x: Tensor): Tensor {
    return torch.tidy(() => torch.F.avgPool2d(this.convNormRelu(x), 2));
  }

  /**
   * The convolution's share of input channels [from, from + x.size(1)), bias included: with
   * x = cat([a, b], 1), conv(x) = convPart(a, 0, false) + convPart(b, a.size(1), true), exact up to
   * float rounding. Uses the folded weights when the block is folded. (B, n, H, W) -> (B, out, H, W).
   */
  convPart(x: Tensor, from: number, withBias: boolean): Tensor {
    return torch.tidy(() => {
      const folded = this.useFold();
      const weight = (folded ? this.folded("folded_weight") : this.conv.weight).narrow(1, from, x.size(1));
      const bias = withBias ? (folded ? this.folded("folded_bias") : this.conv.bias) : undefined;
      const out = torch.F.conv2d(x, weight, bias, { padding: this.conv.padding });
      recordMacs(out.numel * x.size(1) * this.conv.kernelSize[0] * this.conv.kernelSize[1]);
      return out;
    });
  }

  /** forward(x) from its convolution's output, computed in parts with convPart. */
  forwardFromConv(convolved: Tensor): Tensor {
    return torch.tidy(() => {
      const normed = this.useFold() ? convolved : this.norm.forward(convolved);
      return torch.F.avgPool2d(normed.relu(), 2);
    });
  }
}

/**
 * The smallest input (height x width) an up block's eval forward runs as phases: below 8x8 the
 * phases' weights, 16/9 as many bytes as the 3x3 kernel's, cost more than the multiply-adds they
 * save (at 2x2 there are as many either way), and the hourglasses' deepest levels are
 * weight-bound. Measured at 2 threads, fp32 and bf16 (docs/speed.md, "Fifth pass").
 */
export const UP_PHASES_FROM = 64;

/** nearest x2 -> conv3x3 -> BN -> ReLU: (B, in, H, W) -> (B, out, 2H, 2W). */
export class UpBlock2d extends ConvNormBlock {
  /** Whether the upsampling can be folded too (a 3x3, padding 1 convolution: FOMM's). */
  #phases = false;

  /**
   * Folds `norm` into `conv`. For a 3x3 convolution (FOMM's), an eval forward on an input of at
   * least UP_PHASES_FROM pixels then also folds the upsampling: it convolves the small input with
   * the four 2x2 kernels of nn/fold.ts's upsampledConvWeights (derived buffers with suffix
   * _phases, made at the first such call), 16 instead of 36 multiply-adds per input pixel and
   * channel pair, and never builds the upsampled tensor. Equal to the upsample and convolution up
   * to float rounding.
   */
  override foldBatchNorm(): void {
    const c = this.conv;
    const plain = [c.kernelSize, c.padding, c.stride, c.dilation].map(String).join(" ") === "3,3 1,1 1,1 1,1";
    this.#phases = plain && c.groups === 1 && c.paddingMode === "zeros";
    this.fold(c, this.norm);
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      if (this.useFold() && this.#phases && x.size(2) * x.size(3) >= UP_PHASES_FROM) {
        this.derived(["folded_weight_phases", "folded_bias_phases"], () => {
          const weight = this.buffer("folded_weight");
          const phases = upsampledConvWeights(weight, this.buffer("folded_bias"));
          // In the 3x3 kernel's memory format (channels-last in the tuned generator).
          return [weight.isChannelsLast() ? phases.weight.toChannelsLast() : phases.weight, phases.bias];
        });
        return convolveUpsampled(x, this.folded("folded_weight_phases"), this.folded("folded_bias_phases")).relu_();
      }
      return this.convNormRelu(torch.F.interpolate(x, { scaleFactor: 2 }));
    });
  }
}

/** x + conv(ReLU(BN(conv(ReLU(BN(x)))))), channels unchanged (FOMM's ResBlock2d). */
export class ResBlock2d extends FoldableBlock {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly norm1: BatchNorm2d;
  readonly norm2: BatchNorm2d;

  constructor(features: number) {
    super();
    this.conv1 = this.registerModule("conv1", new Conv2d(features, features, 3, { padding: 1 }));
    this.conv2 = this.registerModule("conv2", new Conv2d(features, features, 3, { padding: 1 }));
    this.norm1 = this.registerModule("norm1", new BatchNorm2d(features));
    this.norm2 = this.registerModule("norm2", new BatchNorm2d(features));
  }

  /**
   * Folds norm2 into conv1 for inference (norm1 comes before a ReLU, so it stays), and keeps an
   * eval-only copy of conv2 (suffix 2) whose layout can follow the activations'; see ConvNormBlock.
   */
  foldBatchNorm(): void {
    this.fold(this.conv1, this.norm2);
    this.fold(this.conv2, undefined, "2");
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      if (this.useFold()) {
        // Eval only: each op's output is fresh, so the ReLUs and the residual add work in place.
        const input = this.norm1.forward(x).relu_();
        const out = this.foldedConv(this.conv2, this.foldedConv(this.conv1, input)!.relu_(), "2")!;
        // (Under autocast x may be wider than out: then the sum takes x's dtype, as out of place.)
        return out.dtype === x.dtype ? out.add_(x) : out.add(x);
      }
      const input = this.norm1.forward(x).relu();
      const h = this.norm2.forward(this.conv1.forward(input)).relu();
      return this.conv2.forward(h).add(x);
    });
  }
}

/** Channels of hourglass level i: min(maxFeatures, blockExpansion * 2^i). */
function levelWidth(blockExpansion: number, maxFeatures: number, i: number): number {
  return Math.min(maxFeatures, blockExpansion * 2 ** i);
}

/** The hourglass's contracting half: returns [x, level 1, ..., level n] (each half the size). */
export class HourglassEncoder extends Module {
  readonly down_blocks: ModuleList<DownBlock2d>;

  constructor(blockExpansion: number, inFeatures: number, numBlocks: number, maxFeatures: number) {
    super();
    const blocks = Array.from(
      { length: numBlocks },
      (_, i) =>
        new DownBlock2d(i === 0 ? inFeatures : levelWidth(blockExpansion, maxFeatures, i), levelWidth(blockExpansion, maxFeatures, i + 1)),
    );
    this.down_blocks = this.registerModule("down_blocks", new ModuleList(blocks));
  }

  forward(x: Tensor, firstConv?: Tensor): Tensor[] {
    const outs = [x];
    for (const [i, block] of [...this.down_blocks].entries())
      outs.push(i === 0 && firstConv ? block.forwardFromConv(firstConv) : block.forward(outs[outs.length - 1]));
    return outs;
  }
}

/** The hourglass's expanding half: up-samples and concatenates each skip; ends with the input itself. */
export class HourglassDecoder extends Module {
  readonly up_blocks: ModuleList<UpBlock2d>;
  /** Channels of the output: blockExpansion + the hourglass's input channels. */
  readonly outFilters: number;

  constructor(blockExpansion: number, inFeatures: number, numBlocks: number, maxFeatures: number) {
    super();
    const blocks: UpBlock2d[] = [];
    for (let i = numBlocks - 1; i >= 0; i--) {
      const inFilters = (i === numBlocks - 1 ? 1 : 2) * levelWidth(blockExpansion, maxFeatures, i + 1);
      blocks.push(new UpBlock2d(inFilters, levelWidth(blockExpansion, maxFeatures, i)));
    }
    this.up_blocks = this.registerModule("up_blocks", new ModuleList(blocks));
    this.outFilters = blockExpansion + inFeatures;
  }

  /** levels: the encoder's output, [x, level 1, ..., level n]. */
  forward(levels: Tensor[]): Tensor {
    return torch.tidy(() => {
      let out = levels[levels.length - 1];
      for (let i = 0; i < this.up_blocks.length; i++) {
        const skip = levels[levels.length - 2 - i];
        out = torch.cat([this.up_blocks.at(i).forward(out), skip], 1);
      }
      return out;
    });
  }
}

export interface HourglassOptions {
  blockExpansion: number;
  inFeatures: number;
  numBlocks: number;
  maxFeatures: number;
}

/**
 * FOMM's Hourglass: (B, inFeatures, H, W) -> (B, blockExpansion + inFeatures, H, W). H and W must
 * be divisible by 2^numBlocks.
 */
export class Hourglass extends Module {
  readonly encoder: HourglassEncoder;
  readonly decoder: HourglassDecoder;
  readonly outFilters: number;
  readonly numBlocks: number;
  /**
   * Run the convolutions channels-last (NHWC) in eval mode, as PyTorch's channels-last models do;
   * the output is NCHW either way. Set by tuneForInference (dime/inference-tuning.ts).
   */
  channelsLast = false;

  constructor(options: HourglassOptions) {
    super();
    const { blockExpansion, inFeatures, numBlocks, maxFeatures } = options;
    this.encoder = this.registerModule("encoder", new HourglassEncoder(blockExpansion, inFeatures, numBlocks, maxFeatures));
    this.decoder = this.registerModule("decoder", new HourglassDecoder(blockExpansion, inFeatures, numBlocks, maxFeatures));
    this.outFilters = this.decoder.outFilters;
    this.numBlocks = numBlocks;
  }

  /**
   * forward(x) when the first convolution's output is already known (firstConv, (B, w1, H, W), from
   * the first down block's convPart): callers that feed inputs sharing channels across calls
   * convolve the shared channels once.
   */
  forward(x: Tensor, firstConv?: Tensor): Tensor {
    const divisor = 2 ** this.numBlocks;
    if (x.size(2) % divisor !== 0 || x.size(3) % divisor !== 0) {
      throw new RangeError(
        `Hourglass: input ${x.size(2)}x${x.size(3)} is not divisible by 2^${this.numBlocks} = ${divisor} (num_blocks is too large for this resolution)`,
      );
    }
    return torch.tidy(() => {
      if (!this.channelsLast || this.training) return this.decoder.forward(this.encoder.forward(x, firstConv));
      // NHWC in, and every op after follows its input's layout; NCHW out for the heads' reshapes.
      return this.decoder.forward(this.encoder.forward(x.toChannelsLast(), firstConv?.toChannelsLast())).contiguous();
    });
  }
}
