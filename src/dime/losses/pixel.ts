// The `pixel` reconstruction loss, the alternative to the perceptual loss when no VGG-19 weights
// are available (DESIGN section 5): at the same pyramid scales,
//   L = sum_s  w_l1 * mean |pyr_s(prediction) - pyr_s(target)|  +  w_ssim * (1 - SSIM(pyr_s(prediction), pyr_s(target)))
// SSIM is ssim.ts's (11x11 Gaussian window, mean over the batch).
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { Module } from "../../nn/index.js";
import { ImagePyramid, scaleName, type LossTerms } from "./pyramid.js";
import { ssim } from "./ssim.js";

/** SSIM's window side: pyramid levels smaller than this get no SSIM term. */
export const SSIM_WINDOW = 11;

export interface PixelOptions {
  /** Pyramid scales (train_params.scales). */
  scales: readonly number[];
  /** Weight of the L1 term (train_params.loss_weights.pixel_l1). */
  l1: number;
  /** Weight of the 1 - SSIM term (train_params.loss_weights.pixel_ssim). */
  ssim: number;
}

/**
 * Terms `scale_{s}.l1` and `scale_{s}.one_minus_ssim`, unweighted; zero-weighted ones are skipped.
 * A level smaller than the 11x11 SSIM window (8x8 for scale 0.125 of 64 px frames) has no SSIM
 * term: shrinking the window would change what SSIM means, and its L1 term still counts.
 */
export class PixelPyramidLoss extends Module {
  readonly kind = "pixel" as const;
  readonly pyramid: ImagePyramid;

  constructor(readonly options: PixelOptions) {
    super();
    this.pyramid = this.registerModule("pyramid", new ImagePyramid(options.scales, 3));
  }

  /** prediction, target (B, 3, H, W) in [0, 1] -> total (scalar) and named terms. */
  forward(prediction: Tensor, target: Tensor): LossTerms {
    // fp32 island: SSIM's variances (E[x^2] - E[x]^2) cancel badly in bf16.
    return torch.fp32Island(() => this.#forward(torch.widen(prediction), torch.widen(target)));
  }

  #forward(prediction: Tensor, target: Tensor): LossTerms {
    return torch.tidy(() => {
      const terms = new Map<string, Tensor>();
      let total = torch.zeros([], { dtype: prediction.dtype, device: prediction.device });
      const add = (name: string, term: Tensor, weight: number) => {
        terms.set(name, term.detach());
        total = total.add(term.mul(weight));
      };
      const targets = torch.noGrad(() => this.pyramid.forward(target.detach()));
      this.pyramid.forward(prediction).forEach(({ scale, image }, level) => {
        const y = targets[level].image;
        if (this.options.l1 !== 0) add(`${scaleName(scale)}.l1`, torch.F.l1Loss(image, y), this.options.l1);
        const fits = image.size(-2) >= SSIM_WINDOW && image.size(-1) >= SSIM_WINDOW;
        if (this.options.ssim !== 0 && fits) add(`${scaleName(scale)}.one_minus_ssim`, ssim(image, y).mean().rsub(1), this.options.ssim);
      });
      return { total, terms };
    });
  }
}
