// KeypointDetector (paper eq. 3; FOMM's KPDetector): an hourglass on the anti-aliased, downscaled
// image, a 7x7 conv to K heatmaps, a spatial softmax with a temperature, and each keypoint as the
// heatmap-weighted mean of the coordinate grid. With `jacobians` (FOMM's first order) a second 7x7
// conv gives a 2x2 Jacobian per keypoint, weighted by the same heatmap.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, Conv2d } from "../nn/index.js";
import { Hourglass } from "./blocks.js";
import { AntiAliasInterpolation2d, heatmapToKp } from "./geometry.js";
import type { CommonParams, KpDetectorParams } from "./config/schema.js";

/** Keypoints of a batch of images. */
export interface Keypoints {
  /** (B, K, 2): (x, y) in [-1, 1]. */
  value: Tensor;
  /** (B, K, 2, 2): d(x, y)/d(x, y) near each keypoint (FOMM's first-order terms), when estimated. */
  jacobian?: Tensor;
}

/** What a detection returns besides the keypoints (for tests and visualisation). */
export interface KeypointDetails extends Keypoints {
  /** (B, K, h, w): the softmax heatmaps (each sums to 1). */
  heatmap: Tensor;
}

/** FOMM's KPDetector arguments: common_params and kp_detector_params as the YAML writes them. */
export interface KeypointDetectorOptions extends CommonParams, KpDetectorParams {
  /** Estimate a Jacobian per keypoint (FOMM; switches.jacobians); DiME does not. */
  estimate_jacobian: boolean;
}

export class KeypointDetector extends Module {
  readonly predictor: Hourglass;
  readonly kp: Conv2d;
  readonly jacobian?: Conv2d;
  readonly down?: AntiAliasInterpolation2d;

  constructor(readonly options: KeypointDetectorOptions) {
    super();
    const {
      num_kp: numKp,
      num_channels: numChannels,
      block_expansion: blockExpansion,
      max_features: maxFeatures,
      num_blocks: numBlocks,
      pad,
    } = options;
    this.predictor = this.registerModule("predictor", new Hourglass({ blockExpansion, inFeatures: numChannels, numBlocks, maxFeatures }));
    this.kp = this.registerModule("kp", new Conv2d(this.predictor.outFilters, numKp, 7, { padding: pad }));
    if (options.estimate_jacobian) {
      const maps = options.single_jacobian_map ? 1 : numKp;
      this.jacobian = this.registerModule("jacobian", new Conv2d(this.predictor.outFilters, 4 * maps, 7, { padding: pad }));
      // FOMM starts every Jacobian at the identity: zero weights, bias [1, 0, 0, 1] per map.
      torch.noGrad(() =>
        torch.tidy(() => {
          this.jacobian!.weight.zero_();
          this.jacobian!.bias!.copy_(torch.tensor(Array.from({ length: maps }, () => [1, 0, 0, 1]).flat()));
        }),
      );
    }
    if (options.scale_factor !== 1)
      this.down = this.registerModule("down", new AntiAliasInterpolation2d(numChannels, options.scale_factor));
  }

  /** images (B, C, H, W) in [0, 1] -> keypoints (B, K, 2) and, with Jacobians, (B, K, 2, 2). */
  forward(images: Tensor): Keypoints {
    const { heatmap, ...kp } = this.detect(images);
    heatmap.dispose();
    return kp;
  }

  /** As forward, also returning the heatmaps. */
  detect(images: Tensor): KeypointDetails {
    return torch.tidy(() => {
      const x = this.down ? this.down.forward(images) : images;
      const featureMap = this.predictor.forward(x); // (B, outFilters, h, w)
      const prediction = this.kp.forward(featureMap); // (B, K, h', w')
      const jacobianMap = this.jacobian?.forward(featureMap);
      const [b, k, h, w] = prediction.shape;
      // fp32 island: a softmax with temperature 0.1 and the means over it lose the keypoints'
      // sub-pixel positions in bf16 (8 bits of mantissa).
      return torch.fp32Island(() => {
        const heatmap = torch
          .widen(prediction)
          .view(b, k, h * w)
          .div(this.options.temperature)
          .softmax(2)
          .view(b, k, h, w);
        const out: KeypointDetails = { value: heatmapToKp(heatmap), heatmap };
        if (jacobianMap) {
          // (B, K or 1, 4, h', w'): a single map is shared by the keypoints through broadcasting.
          out.jacobian = heatmap
            .unsqueeze(2)
            .mul(torch.widen(jacobianMap).view(b, this.options.single_jacobian_map ? 1 : k, 4, h, w))
            .view(b, k, 4, h * w)
            .sum(-1)
            .view(b, k, 2, 2);
        }
        return out;
      });
    });
  }
}
