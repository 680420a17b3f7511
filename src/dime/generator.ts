// Generator (paper eq. 12; FOMM's generator back): F = F_motion (+) F_id, fused by a 1x1 conv when
// the identity branch is on, then residual blocks, up blocks (nearest x2, 3x3 conv, BN, ReLU) and
// a 7x7 conv with a sigmoid to the output frame.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, ModuleList, Conv2d } from "../nn/index.js";
import { ResBlock2d, UpBlock2d } from "./blocks.js";
import { encoderWidth, type EncoderOptions } from "./encoder.js";
import type { GeneratorParams } from "./config/schema.js";

/** FOMM's generator arguments as the YAML writes them (common_params and generator_params), plus switches.identity_flow. */
export type GeneratorOptions = EncoderOptions &
  Pick<GeneratorParams, "num_bottleneck_blocks"> & {
    /** Take F_id besides F_motion (the SelfFlow branch): adds the 1x1 `fuse` conv. */
    identity_flow: boolean;
  };

/** FOMM's `bottleneck`: residual blocks named r0, r1, ... */
export class Bottleneck extends Module {
  readonly blocks: ResBlock2d[];

  constructor(features: number, count: number) {
    super();
    this.blocks = Array.from({ length: count }, (_, i) => this.registerModule(`r${i}`, new ResBlock2d(features)));
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const block of this.blocks) out = block.forward(out);
    return out;
  }
}

/** (B, C_f, h, w) features (twice that with F_id) -> (B, numChannels, h 2^n, w 2^n) in [0, 1]. */
export class Generator extends Module {
  readonly up_blocks: ModuleList<UpBlock2d>;
  readonly bottleneck: Bottleneck;
  readonly final: Conv2d;
  readonly fuse?: Conv2d;
  /**
   * Run the residual and up blocks channels-last (NHWC) in eval mode: oneDNN convolves these wide
   * layers faster that way on CPUs (docs/speed.md); the output is NCHW either way. Set by
   * tuneForInference (dime/inference-tuning.ts).
   */
  channelsLast = false;

  constructor(readonly options: GeneratorOptions) {
    super();
    const n = options.num_down_blocks;
    const blocks = Array.from({ length: n }, (_, i) => new UpBlock2d(encoderWidth(options, n - i), encoderWidth(options, n - i - 1)));
    this.up_blocks = this.registerModule("up_blocks", new ModuleList(blocks));
    const features = encoderWidth(options, n);
    this.bottleneck = this.registerModule("bottleneck", new Bottleneck(features, options.num_bottleneck_blocks));
    this.final = this.registerModule("final", new Conv2d(options.block_expansion, options.num_channels, 7, { padding: 3 }));
    if (options.identity_flow) this.fuse = this.registerModule("fuse", new Conv2d(2 * features, features, 1));
  }

  /** motion: F_motion (B, C_f, h, w); identity: F_id of the same shape, when the branch is on. */
  forward(motion: Tensor, identity?: Tensor): Tensor {
    return torch.tidy(() => {
      let out = motion;
      if (identity !== undefined) {
        if (!this.fuse) throw new Error("Generator: F_id given, but this model was built without identity_flow");
        out = this.fuse.forward(torch.cat([motion, identity], 1));
      }
      const nhwc = this.channelsLast && !this.training;
      if (nhwc) out = out.toChannelsLast();
      out = this.bottleneck.forward(out);
      for (const block of this.up_blocks) out = block.forward(out);
      const logits = this.final.forward(out);
      // fp32 island: the output frame (NCHW again when the blocks ran channels-last).
      const frame = torch.fp32Island(() => torch.widen(logits).sigmoid());
      return nhwc ? frame.contiguous() : frame;
    });
  }
}
