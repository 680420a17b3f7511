// SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) as an evaluation metric: the training loss's SSIM
// (src/dime/losses/ssim.ts), which is scikit-image's structural_similarity(a, b,
// gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1, channel_axis=...):
//   - an 11x11 Gaussian window, sigma 1.5 (skimage: truncate 3.5, radius int(3.5 * 1.5 + 0.5) = 5),
//     K1 = 0.01, K2 = 0.03, L = 1, population (co)variances;
//   - each channel's SSIM map averaged over the pixels whose whole window lies inside the image
//     (skimage filters with reflect padding, then crops (11 - 1) // 2 = 5 px from every side before
//     the mean; we filter without padding: the same pixels, the same number), then the mean over
//     the three channels (skimage's channel_axis averages the per-channel values).
import type { Tensor } from "../../torch/index.js";
import { ssim as ssimLoss } from "../../dime/losses/ssim.js";
import { checkImagePair, checkUnitRange } from "./images.js";

/**
 * Mean SSIM of each image pair: a, b (B, C, H, W) in [0, 1] -> (B); 1 for identical images.
 * H and W must be at least 11.
 */
export function ssim(a: Tensor, b: Tensor): Tensor {
  checkImagePair("ssim", a, b);
  if (a.size(2) < 11 || a.size(3) < 11) throw new RangeError(`ssim: a ${a.size(2)}x${a.size(3)} image is smaller than the 11x11 window`);
  checkUnitRange("ssim", a, b);
  return ssimLoss(a, b);
}
