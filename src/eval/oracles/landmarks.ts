// The landmark oracle (DESIGN section 7, for AKD on the synthetic benchmark): a small CNN that
// finds each of the kind's K landmarks in a 64x64 frame and says whether it is visible. FOMM's
// keypoint-detector recipe (an hourglass, a heatmap per point, the point as the heatmap-weighted
// mean of the coordinate grid: a soft-argmax), supervised with meta.json's ground truth instead of
// learned without it. A second map per landmark, weighted by the same heatmap, gives the logit of
// its visibility: "is the thing at this point the landmark's own surface".
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { Conv2d, Module } from "../../nn/index.js";
import { DownBlock2d, Hourglass } from "../../dime/blocks.js";
import { heatmapToKp } from "../../dime/geometry.js";

/** The architecture, stored in the weights' JSON sidecar so that a loader rebuilds the same net. */
export interface LandmarkRegressorOptions {
  numLandmarks: number;
  /** Channels of the stem (64 -> 32 px) and of the hourglass's first level; each level doubles. */
  blockExpansion: number;
  maxFeatures: number;
  /** Hourglass levels below 32x32 (3: down to 4x4). */
  numBlocks: number;
}

export interface LandmarkPrediction {
  /** (B, K, 2): (x, y) in [-1, 1] (dime's convention), for hidden landmarks too. */
  points: Tensor;
  /** (B, K): the logit of "visible". */
  visibleLogit: Tensor;
}

export class LandmarkRegressor extends Module {
  readonly stem: DownBlock2d;
  readonly predictor: Hourglass;
  readonly head: Conv2d;

  constructor(readonly options: LandmarkRegressorOptions) {
    super();
    const { numLandmarks, blockExpansion, maxFeatures, numBlocks } = options;
    // DEVIATION from FOMM's detector: a strided stem instead of a downscaled input, so the 32x32
    // heatmaps see the 64 px detail (a 1 px landmark error at 64 px is what AKD resolves).
    this.stem = this.registerModule("stem", new DownBlock2d(3, blockExpansion));
    this.predictor = this.registerModule(
      "predictor",
      new Hourglass({ blockExpansion, inFeatures: blockExpansion, numBlocks, maxFeatures }),
    );
    this.head = this.registerModule("head", new Conv2d(this.predictor.outFilters, 2 * numLandmarks, 3, { padding: 1 }));
  }

  /** frames (B, 3, 64, 64) in [0, 1] -> points (B, K, 2) and visibility logits (B, K). */
  forward(frames: Tensor): LandmarkPrediction {
    return torch.tidy(() => {
      const maps = this.head.forward(this.predictor.forward(this.stem.forward(frames))); // (B, 2K, 32, 32)
      const [b, , h, w] = maps.shape;
      const k = this.options.numLandmarks;
      const heatmap = maps
        .narrow(1, 0, k)
        .reshape(b, k, h * w)
        .softmax(2)
        .view(b, k, h, w); // (B, K, h, w), each sums to 1
      const visibleLogit = heatmap.mul(maps.narrow(1, k, k)).sum([2, 3]); // (B, K)
      return { points: heatmapToKp(heatmap), visibleLogit };
    });
  }
}
