// PSNR: peak signal-to-noise ratio, 10 log10(L^2 / MSE), per image, with the MSE over channels and
// pixels (as scikit-image's peak_signal_noise_ratio on one (H, W, C) image).
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { checkImagePair } from "./images.js";

/**
 * PSNR in dB of each image: a, b (B, C, H, W) -> (B). `dataRange` is L, the span of pixel values
 * (1 for images in [0, 1]). Identical images give Infinity (MSE 0), not an error: the caller
 * decides how to average an infinite value (dime eval reports it).
 */
export function psnr(a: Tensor, b: Tensor, dataRange = 1): Tensor {
  checkImagePair("psnr", a, b);
  if (!(dataRange > 0)) throw new RangeError(`psnr: dataRange must be positive, got ${dataRange}`);
  return torch.tidy(() => {
    const mse = a.sub(b).square().mean([1, 2, 3]); // (B)
    return mse
      .reciprocal()
      .mul(dataRange * dataRange)
      .log()
      .mul(10 / Math.LN10);
  });
}
