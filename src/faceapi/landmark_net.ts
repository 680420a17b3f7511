// face-api.js's 68-point face landmark nets (FaceLandmark68Net and FaceLandmark68TinyNet): a
// DenseNet-like feature extractor of dense blocks (a stride-2 conv, then depthwise-separable convs
// each fed the ReLU of the sum of all earlier outputs of the block), a valid average pool to 1x1,
// and a dense layer to 68 (x, y) pairs relative to the 112x112 input square.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Linear, Module } from "../nn/index.js";
import { SeparableConv2d, TfConv2d } from "./layers.js";
import { normalizeRgb, toSquareInput } from "./preprocess.js";

/** The two published sizes. */
export interface LandmarkNetConfig {
  /** Output channels of each dense block; each block halves the resolution. */
  channels: readonly number[];
  /** Convs per dense block (the first strided). */
  convsPerBlock: number;
}

export const LANDMARK_68: LandmarkNetConfig = { channels: [32, 64, 128, 256], convsPerBlock: 4 };
export const LANDMARK_68_TINY: LandmarkNetConfig = { channels: [32, 64, 128], convsPerBlock: 3 };

/** Side of the square the nets see. */
export const LANDMARK_INPUT_SIZE = 112;
const MEAN_RGB = [122.782, 117.001, 104.298] as const;

/**
 * One dense block: (N, in, H, W) -> (N, out, H/2, W/2). The first block's strided conv is a
 * plain 3x3 conv (keys `conv0.weight`, `conv0.bias`), the others are separable.
 */
class DenseBlock extends Module {
  readonly convs: (TfConv2d | SeparableConv2d)[] = [];

  constructor(inChannels: number, outChannels: number, count: number, first: boolean) {
    super();
    const conv0 = first ? new TfConv2d(inChannels, outChannels, 3, { stride: 2 }) : new SeparableConv2d(inChannels, outChannels, 2);
    this.convs.push(this.registerModule("conv0", conv0));
    for (let k = 1; k < count; k++) this.convs.push(this.registerModule(`conv${k}`, new SeparableConv2d(outChannels, outChannels)));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [first, ...rest] = this.convs;
      // face-api feeds conv1 the first output itself and later convs relu(sum so far); the first
      // output is already a ReLU, so relu(sum) serves for all.
      let sum = first.forward(x).relu();
      for (const conv of rest) sum = sum.add(conv.forward(sum.relu()));
      return sum.relu();
    });
  }
}

export class FaceLandmarkNet extends Module {
  readonly blocks: DenseBlock[] = [];
  readonly fc: Linear;

  constructor(readonly config: LandmarkNetConfig = LANDMARK_68) {
    super();
    let inChannels = 3;
    config.channels.forEach((c, i) => {
      this.blocks.push(this.registerModule(`dense${i}`, new DenseBlock(inChannels, c, config.convsPerBlock, i === 0)));
      inChannels = c;
    });
    this.fc = this.registerModule("fc", new Linear(inChannels, 136));
  }

  /** The pool that takes the last block's map (112 / 2^blocks) to 1x1 with stride 2, as face-api. */
  get poolKernel(): number {
    return LANDMARK_INPUT_SIZE / 2 ** this.config.channels.length;
  }

  /** The net proper: x (B, 3, 112, 112) normalised -> (B, 136) interleaved x, y in [0, 1]. */
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let h = x;
      for (const block of this.blocks) h = block.forward(h);
      h = torch.F.avgPool2d(h, this.poolKernel, { stride: 2 }); // (B, C, 1, 1)
      return this.fc.forward(h.flatten(1));
    });
  }

  /**
   * images (B, 3, H, W) RGB in [0, 1] -> (B, 68, 2) landmarks (x, y) in the images' pixels
   * (x right, y down; face-api's coordinates, where the input square's corner is 0).
   * DEVIATION: face-api subtracts |H - W| / 2 as the padding of a non-square image, though its
   * tensor path pads floor(|H - W| / 2) in front; we subtract the padding actually added (the
   * two differ by half a pixel when |H - W| is odd).
   */
  landmarks(images: Tensor): Tensor {
    return torch.tidy(() => {
      const { input, geometry } = toSquareInput(images, LANDMARK_INPUT_SIZE, true);
      const relative = this.forward(normalizeRgb(input, MEAN_RGB, 255)).view(-1, 68, 2);
      const shift = torch.tensor([geometry.padLeft, geometry.padTop], { device: images.device });
      return relative.mul(geometry.side).sub(shift);
    });
  }
}
