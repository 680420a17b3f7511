// Encoder (paper eq. 9's F_V; FOMM's generator front): a 7x7 conv block, then down blocks (3x3
// conv, BN, ReLU, 2x2 average pool), each doubling the channels up to max_features.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, ModuleList } from "../nn/index.js";
import { DownBlock2d, SameBlock2d } from "./blocks.js";
import type { CommonParams, GeneratorParams } from "./config/schema.js";

/** The encoder's part of FOMM's generator arguments, as the YAML writes them. */
export type EncoderOptions = Pick<CommonParams, "num_channels"> &
  Pick<GeneratorParams, "block_expansion" | "max_features" | "num_down_blocks">;

/** Channels after i down blocks: min(max_features, block_expansion * 2^i). */
export function encoderWidth(options: Pick<EncoderOptions, "block_expansion" | "max_features">, i: number): number {
  return Math.min(options.max_features, options.block_expansion * 2 ** i);
}

/** (B, C, H, W) -> (B, encoderWidth(num_down_blocks), H / 2^n, W / 2^n). */
export class Encoder extends Module {
  readonly first: SameBlock2d;
  readonly down_blocks: ModuleList<DownBlock2d>;
  /**
   * Run the convolutions channels-last (NHWC) in eval mode, as the generator's; the output is NCHW
   * either way. Set by tuneForInference (dime/inference-tuning.ts).
   */
  channelsLast = false;

  constructor(readonly options: EncoderOptions) {
    super();
    this.first = this.registerModule("first", new SameBlock2d(options.num_channels, options.block_expansion, 7, 3));
    const blocks = Array.from(
      { length: options.num_down_blocks },
      (_, i) => new DownBlock2d(encoderWidth(options, i), encoderWidth(options, i + 1)),
    );
    this.down_blocks = this.registerModule("down_blocks", new ModuleList(blocks));
  }

  get outChannels(): number {
    return encoderWidth(this.options, this.options.num_down_blocks);
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const nhwc = this.channelsLast && !this.training;
      let out = this.first.forward(nhwc ? x.toChannelsLast() : x);
      for (const block of this.down_blocks) out = block.forward(out);
      return nhwc ? out.contiguous() : out;
    });
  }
}
