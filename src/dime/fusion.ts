// Multi-view fusion (paper eq. 11): per-pixel weights alpha = softmax over the views of their
// confidence logits c_V, and the visibility v = 1 - prod_V (1 - sigmoid(c_V)), the chance that at
// least one view sees the pixel. F_motion = v * sum_V alpha_V F_V->D; F_id = sum_V alpha_V F_V->V.
// With one view alpha = 1 and v = sigmoid(c): FOMM's occlusion-masked features. The result does
// not depend on the order of the views.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { resizeMap } from "./geometry.js";

export interface FusionInput {
  /** (V*B, C, h, w), view-major (row v*B + b): F_V->D. */
  motion: Tensor;
  /** (V*B, C, h, w): F_V->V, when the identity branch is on. */
  identity?: Tensor;
  /**
   * (V*B, 1, h', w'): c_V, when the model estimates it; without it the views are trusted equally
   * and v = 1. Weights and visibility are computed at its resolution, then resized bilinearly to
   * the features' (as FOMM resizes its occlusion map; resizeMap).
   */
  confidenceLogit?: Tensor;
  views: number;
  /** Resize with corners aligned (switches.aligned_resize); false is FOMM's resize. */
  alignedResize: boolean;
}

export interface FusionOutput {
  /** (B, C, h, w) */
  motion: Tensor;
  /** (B, C, h, w) */
  identity?: Tensor;
  /** (B, V, h, w): alpha, summing to 1 over V. */
  weights: Tensor;
  /** (B, 1, h, w): v. */
  visibility: Tensor;
}

/** (V*B, ...) view-major -> (V, B, ...). */
function byView(t: Tensor, views: number): Tensor {
  return t.view(views, t.size(0) / views, ...t.shape.slice(1));
}

export function fuseViews(input: FusionInput): FusionOutput {
  return torch.tidy(() => {
    const { views } = input;
    const motion = byView(input.motion, views); // (V, B, C, h, w)
    const [, b, , h, w] = motion.shape;
    let weights: Tensor; // (V, B, 1, h, w)
    let visibility: Tensor; // (B, 1, h, w)
    const fit = (t: Tensor) => resizeMap(t, h, w, input.alignedResize);
    if (input.confidenceLogit) {
      // fp32 island: the softmax over views and the visibility product.
      const logits = torch.widen(byView(input.confidenceLogit, views));
      using _ = torch.fp32Scope();
      weights = logits.softmax(0);
      // One view: sigmoid(c) itself, exactly FOMM's occlusion map (1 - (1 - s) would round).
      visibility = fit(
        views === 1 ? logits.select(0, 0).sigmoid() : torch.onesLike(logits.select(0, 0)).sub(logits.neg().sigmoid().prod(0)),
      );
      weights = fit(weights.view(views * b, 1, weights.size(-2), weights.size(-1))).view(views, b, 1, h, w);
    } else {
      weights = torch.full([views, b, 1, h, w], 1 / views, { dtype: motion.dtype, device: motion.device });
      visibility = torch.ones([b, 1, h, w], { dtype: motion.dtype, device: motion.device });
    }
    const out: FusionOutput = {
      motion: motion.mul(weights).sum(0).mul(visibility),
      weights: weights.squeeze(2).permute(1, 0, 2, 3),
      visibility,
    };
    if (input.identity) out.identity = byView(input.identity, views).mul(weights).sum(0);
    return out;
  });
}
