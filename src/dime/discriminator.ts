// FOMM's multi-scale patch discriminator (modules/discriminator.py, after Pix2Pix): per scale, a
// stack of 4x4 convolutions (unpadded) with instance norm after the first, leaky ReLU 0.2 and 2x2
// average pooling but after the last, then a 1x1 convolution to one logit per patch. Optional
// spectral norm on every convolution and optional keypoint heatmaps as extra input channels.
// State-dict keys are FOMM's: `discs.1.down_blocks.0.conv.weight_orig`, `discs.1.conv.bias`, ...
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Conv2d, InstanceNorm2d, Module, ModuleList, SpectralNormConv2d } from "../nn/index.js";
import { kpToGaussian } from "./geometry.js";
import type { DiscriminatorParams } from "./config/schema.js";

type Conv = Conv2d | SpectralNormConv2d;

function conv(inChannels: number, outChannels: number, kernelSize: number, sn: boolean): Conv {
  return sn ? new SpectralNormConv2d(inChannels, outChannels, kernelSize) : new Conv2d(inChannels, outChannels, kernelSize);
}

/** conv 4x4 (unpadded) -> instance norm (affine) -> leaky ReLU 0.2 -> avg pool 2x2 (FOMM's DownBlock2d). */
class DownBlock2d extends Module {
  readonly conv: Conv;
  readonly norm?: InstanceNorm2d;
  readonly pool: boolean;

  constructor(
    inChannels: number,
    readonly outChannels: number,
    options: { norm: boolean; pool: boolean; sn: boolean },
  ) {
    super();
    this.conv = this.registerModule("conv", conv(inChannels, outChannels, 4, options.sn));
    if (options.norm) this.norm = this.registerModule("norm", new InstanceNorm2d(outChannels, { affine: true }));
    this.pool = options.pool;
  }

  /** (B, Cin, H, W) -> (B, Cout, floor((H - 3) / 2), ...) with pooling, (B, Cout, H - 3, W - 3) without. */
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const convolved = this.conv.forward(x);
      const out = (this.norm ? this.norm.forward(convolved) : convolved).leakyRelu(0.2);
      return this.pool ? torch.F.avgPool2d(out, 2) : out;
    });
  }
}

/** What one scale's discriminator returns. */
export interface DiscriminatorOutput {
  /** Each down block's output, (B, C_i, h_i, w_i): the feature-matching loss compares them. */
  featureMaps: Tensor[];
  /** (B, 1, h, w): one LSGAN score per patch (1 = real, 0 = generated). */
  predictionMap: Tensor;
}

/** One scale's patch discriminator (FOMM's Discriminator). */
export class Discriminator extends Module {
  readonly down_blocks: ModuleList<DownBlock2d>;
  readonly conv: Conv;

  constructor(
    readonly params: DiscriminatorParams,
    readonly numChannels: number,
    readonly numKp: number,
  ) {
    super();
    const { block_expansion: expansion, max_features: most, num_blocks: blocks, sn, use_kp } = params;
    const width = (i: number) => Math.min(most, expansion * 2 ** i);
    this.down_blocks = this.registerModule(
      "down_blocks",
      new ModuleList(
        Array.from(
          { length: blocks },
          (_, i) =>
            new DownBlock2d(i === 0 ? numChannels + (use_kp ? numKp : 0) : width(i), width(i + 1), {
              norm: i !== 0,
              pool: i !== blocks - 1,
              sn,
            }),
        ),
      ),
    );
    this.conv = this.registerModule("conv", conv(width(blocks), 1, 1, sn));
  }

  /**
   * x (B, C, H, W); kp (B, K, 2), needed with use_kp (the detached driving keypoints, as FOMM's
   * detach_kp): their Gaussian heatmaps (variance kp_variance) join x as K more channels.
   */
  forward(x: Tensor, kp?: Tensor): DiscriminatorOutput {
    return torch.tidy(() => {
      let out = x;
      if (this.params.use_kp) {
        if (kp === undefined) throw new Error("Discriminator: built with use_kp, so it needs the driving keypoints");
        const [, , h, w] = x.shape;
        out = torch.cat([x, kpToGaussian(kp.detach(), h, w, this.params.kp_variance)], 1); // (B, C + K, H, W)
      }
      const featureMaps: Tensor[] = [];
      for (const block of this.down_blocks) {
        out = block.forward(out);
        featureMaps.push(out);
      }
      return { featureMaps, predictionMap: this.conv.forward(out) };
    });
  }
}

/** FOMM's ModuleDict of discriminators, keyed by scale with '.' written '-' ("1", "0-5"). */
class ScaleDict extends Module {
  add(name: string, module: Discriminator): Discriminator {
    return this.registerModule(name, module);
  }
}

/** The key of a scale in FOMM's ModuleDict: str(scale).replace('.', '-'). */
export function scaleKey(scale: number): string {
  return String(scale).replace(".", "-");
}

/** One Discriminator per scale of discriminator_params.scales (FOMM's MultiScaleDiscriminator). */
export class MultiScaleDiscriminator extends Module {
  readonly discs: ScaleDict;
  readonly #byScale: { scale: number; disc: Discriminator }[];

  constructor(
    readonly params: DiscriminatorParams,
    numChannels: number,
    numKp: number,
  ) {
    super();
    this.discs = this.registerModule("discs", new ScaleDict());
    this.#byScale = params.scales.map((scale) => ({
      scale,
      disc: this.discs.add(scaleKey(scale), new Discriminator(params, numChannels, numKp)),
    }));
  }

  get scales(): number[] {
    return this.#byScale.map((s) => s.scale);
  }

  /** images: the pyramid level of each scale, (B, C, H*s, W*s) by scale; kp (B, K, 2) with use_kp. */
  forward(images: ReadonlyMap<number, Tensor>, kp?: Tensor): Map<number, DiscriminatorOutput> {
    const out = new Map<number, DiscriminatorOutput>();
    for (const { scale, disc } of this.#byScale) {
      const image = images.get(scale);
      if (image === undefined) throw new Error(`MultiScaleDiscriminator: no image at scale ${scale}`);
      out.set(scale, disc.forward(image, kp));
    }
    return out;
  }
}
