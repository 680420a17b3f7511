// CoarseMotion (paper eq. 4-5; FOMM's DenseMotionNetwork): the initial motion phi_V(0) from a view V
// to the driving frame. K+1 sparse motions (k = 0 the identity for the background; k >= 1 moves
// the grid by kp_V[k] - kp_D[k], or with FOMM's Jacobians by J_V J_D^-1 (z - kp_D[k]) + kp_V[k]),
// an hourglass over the Gaussian heatmap differences and the view deformed by each sparse motion,
// and a softmax mask that blends them. It also gives the confidence logit c_V and the hourglass's
// output, the context of the MotionODE. Everything runs at motion resolution (scale_factor).
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { Module, Conv2d } from "../nn/index.js";
import { Hourglass } from "./blocks.js";
import { AntiAliasInterpolation2d, kpToGaussian, makeCoordinateGrid, warp } from "./geometry.js";
import type { Keypoints } from "./keypoint_detector.js";
import type { CommonParams, DenseMotionParams } from "./config/schema.js";

/** FOMM's DenseMotionNetwork arguments: common_params and dense_motion_params as the YAML writes them. */
export interface CoarseMotionOptions extends CommonParams, DenseMotionParams {
  /** Predict the confidence (FOMM's occlusion) logit (generator_params.estimate_occlusion_map). */
  estimate_occlusion_map: boolean;
}

/** CoarseMotion's outputs for a batch of views (B views of one driving pose each). */
export interface CoarseMotionOutput {
  /** (B, C, h, w): the view at motion resolution. */
  viewDown: Tensor;
  /** (B, K+1, 1, h, w): G(kp_D) - G(kp_V), zeros for k = 0. */
  heatmapRepresentation: Tensor;
  /** (B, K+1, h, w, 2): the sparse motions, k = 0 the identity. */
  sparseMotion: Tensor;
  /** (B, K+1, C, h, w): the view sampled at each sparse motion. */
  sparseDeformed: Tensor;
  /** (B, blockExpansion + (K+1)(C+1), h, w): the hourglass output (the ODE's context). */
  context: Tensor;
  maskLogits: Tensor;
  /** (B, K+1, h, w): softmax over the K+1 motions. */
  mask: Tensor;
  /** (B, h, w, 2): phi_V(0) = sum_k mask_k * sparseMotion_k. */
  deformation: Tensor;
  /** (B, 1, h, w): the confidence logit c_V, when estimated. */
  confidenceLogit?: Tensor;
}

export class CoarseMotion extends Module {
  readonly hourglass: Hourglass;
  readonly mask: Conv2d;
  readonly occlusion?: Conv2d;
  readonly down?: AntiAliasInterpolation2d;

  constructor(readonly options: CoarseMotionOptions) {
    super();
    const {
      num_kp: numKp,
      num_channels: numChannels,
      block_expansion: blockExpansion,
      max_features: maxFeatures,
      num_blocks: numBlocks,
    } = options;
    const inFeatures = (numKp + 1) * (numChannels + 1);
    this.hourglass = this.registerModule("hourglass", new Hourglass({ blockExpansion, inFeatures, numBlocks, maxFeatures }));
    this.mask = this.registerModule("mask", new Conv2d(this.hourglass.outFilters, numKp + 1, 7, { padding: 3 }));
    if (options.estimate_occlusion_map)
      this.occlusion = this.registerModule("occlusion", new Conv2d(this.hourglass.outFilters, 1, 7, { padding: 3 }));
    if (options.scale_factor !== 1)
      this.down = this.registerModule("down", new AntiAliasInterpolation2d(numChannels, options.scale_factor));
  }

  /** Channels of `context`. */
  get contextChannels(): number {
    return this.hourglass.outFilters;
  }

  /** The view at motion resolution: (B, C, H, W) -> (B, C, h, w). */
  downscale(view: Tensor): Tensor {
    return this.down ? this.down.forward(view) : view;
  }

  /**
   * view (B, C, H, W) with its keypoints, and the driving keypoints (B, K, 2) it should move to.
   * viewDown, when given, is downscale(view) computed before (per-job caching).
   */
  forward(view: Tensor, kpView: Keypoints, kpDriving: Keypoints, viewDown?: Tensor): CoarseMotionOutput {
    return torch.tidy(() => {
      const down = viewDown ?? this.downscale(view);
      const [b, c, h, w] = down.shape;
      const k = this.options.num_kp;
      // fp32 island: the Gaussians and sampling grids come from keypoints (sub-pixel positions).
      const [heatmapRepresentation, sparseMotion] = torch.fp32Island(() => [
        this.heatmapRepresentation(kpView, kpDriving, h, w),
        this.sparseMotions(kpView, kpDriving, h, w),
      ]);
      const repeated = down
        .unsqueeze(1)
        .expand(b, k + 1, c, h, w)
        .reshape(b * (k + 1), c, h, w);
      const sparseDeformed = warp(repeated, sparseMotion.view(b * (k + 1), h, w, 2)).view(b, k + 1, c, h, w);
      const input = torch.cat([heatmapRepresentation, sparseDeformed], 2).view(b, (k + 1) * (c + 1), h, w);
      const context = this.hourglass.forward(input);
      const maskLogits = this.mask.forward(context);
      // fp32 island: the mask blends sampling grids.
      const [mask, deformation] = torch.fp32Island(() => {
        const mask = torch.widen(maskLogits).softmax(1); // (B, K+1, h, w)
        const deformation = sparseMotion.permute(0, 1, 4, 2, 3).mul(mask.unsqueeze(2)).sum(1).permute(0, 2, 3, 1); // (B, h, w, 2)
        return [mask, deformation];
      });
      const out: CoarseMotionOutput = {
        viewDown: down,
        heatmapRepresentation,
        sparseMotion,
        sparseDeformed,
        context,
        maskLogits,
        mask,
        deformation,
      };
      if (this.occlusion) out.confidenceLogit = this.occlusion.forward(context);
      return out;
    });
  }

  /** (B, K+1, 1, h, w): zeros, then G(kp_D[k]) - G(kp_V[k]). */
  heatmapRepresentation(kpView: Keypoints, kpDriving: Keypoints, h: number, w: number): Tensor {
    return torch.tidy(() => {
      const variance = this.options.kp_variance;
      const heat = kpToGaussian(kpDriving.value, h, w, variance).sub(kpToGaussian(kpView.value, h, w, variance)); // (B, K, h, w)
      const zeros = torch.zeros([heat.size(0), 1, h, w], { dtype: heat.dtype, device: heat.device });
      return torch.cat([zeros, heat], 1).unsqueeze(2);
    });
  }

  /** (B, K+1, h, w, 2): the identity, then each keypoint's motion from the driving frame to the view. */
  sparseMotions(kpView: Keypoints, kpDriving: Keypoints, h: number, w: number): Tensor {
    return torch.tidy(() => {
      const [b, k] = kpView.value.shape;
      const identity = makeCoordinateGrid(h, w, { dtype: kpView.value.dtype, device: kpView.value.device }).view(1, 1, h, w, 2);
      let relative = identity.sub(kpDriving.value.view(b, k, 1, 1, 2)); // (B, K, h, w, 2)
      if (kpView.jacobian && kpDriving.jacobian) {
        const jacobian = kpView.jacobian.matmul(torch.linalg.inv(kpDriving.jacobian)).view(b, k, 1, 1, 2, 2);
        relative = jacobian.matmul(relative.unsqueeze(-1)).squeeze(-1);
      }
      const motions = relative.add(kpView.value.view(b, k, 1, 1, 2));
      return torch.cat([identity.expand(b, 1, h, w, 2), motions], 1);
    });
  }
}
