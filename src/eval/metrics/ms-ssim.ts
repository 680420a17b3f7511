// MS-SSIM (Wang, Simoncelli, Bovik 2003, "Multi-scale structural similarity for image quality
// assessment"):
//   MS-SSIM = prod_{j=1..4} cs_j ^ w_j  *  (l_5 cs_5) ^ w_5,   w = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
// where cs_j is the mean contrast-structure term (2 cov + C2) / (var_x + var_y + C2) at scale j,
// l_5 cs_5 the SSIM map at the coarsest scale, and each scale is the previous one average-pooled
// 2x2. Conventions are pytorch-msssim's `ms_ssim` (v1.x): the SSIM statistics of ssim.ts (Gaussian
// window 11, sigma 1.5, 'valid' filtering, K1 0.01, K2 0.03, L = 1), negative terms clipped to 0
// before the powers, the product taken per channel and then averaged over channels, and an odd side
// padded by one pixel before pooling (F.avg_pool2d(kernel 2, padding side % 2), zeros counted).
//
// DEVIATION: pytorch-msssim refuses images under 161 px, where the coarsest scale (side / 16) is
// smaller than the 11-px window. Our evaluations run at 64 px (scales of 64, 32, 16, 8 and 4 px),
// so a scale smaller than 11 px uses the same Gaussian (sigma 1.5) truncated to the largest odd
// side that fits (renormalised): at 64 px the windows are 11, 11, 11, 7 and 3 px. From 161 px up
// every scale has the full window and the value is pytorch-msssim's. Numbers at 64 px are
// therefore not comparable with MS-SSIM reported on 256 px frames (nor is any metric across
// resolutions). An image whose coarsest scale would be under 3 px (a side under 33 px) is refused.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import { localStatistics } from "../../dime/losses/ssim.js";
import { checkImagePair, checkUnitRange } from "./images.js";

/** The standard weights of the five scales, finest first (Wang et al. 2003). */
export const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;

const WINDOW = 11;
const SIGMA = 1.5;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;
/** The smallest window (and so coarsest scale side) accepted: 1 px would compare single pixels. */
const MIN_WINDOW = 3;

/** [H, W] of every scale, finest first, as pytorch-msssim's padded 2x2 pooling makes them. */
export function msSsimScaleSizes(height: number, width: number, scales = MS_SSIM_WEIGHTS.length): [number, number][] {
  const sizes: [number, number][] = [[height, width]];
  // avg_pool2d(kernel 2, stride 2, padding p): floor((s + 2p - 2) / 2) + 1 with p = s % 2.
  const pooled = (s: number) => Math.floor((s + 2 * (s % 2) - 2) / 2) + 1;
  while (sizes.length < scales) {
    const [h, w] = sizes[sizes.length - 1];
    sizes.push([pooled(h), pooled(w)]);
  }
  return sizes;
}

/** The window side used at a scale of h x w px: 11, or the largest odd side that fits. */
export function msSsimWindow(h: number, w: number): number {
  const side = Math.min(WINDOW, h, w);
  return side % 2 === 1 ? side : side - 1;
}

/**
 * MS-SSIM of each image pair: a, b (B, C, H, W) in [0, 1] -> (B); 1 for identical images. Works
 * on the inputs' device and dtype. Throws when the coarsest scale would be under 3 px.
 */
export function msSsim(a: Tensor, b: Tensor): Tensor {
  checkImagePair("msSsim", a, b);
  const sizes = msSsimScaleSizes(a.size(2), a.size(3));
  const [hMin, wMin] = sizes[sizes.length - 1];
  if (Math.min(hMin, wMin) < MIN_WINDOW) {
    throw new RangeError(
      `msSsim: a ${a.size(2)}x${a.size(3)} image is too small for 5 scales: the coarsest would be ${hMin}x${wMin} px, under the ${MIN_WINDOW}-px minimum window (sides of at least 33 px; 161 px for the standard 11-px window at every scale)`,
    );
  }
  checkUnitRange("msSsim", a, b);
  return torch.tidy(() => {
    const terms: Tensor[] = []; // each (B, C)
    let [x, y] = [a, b];
    sizes.forEach(([h, w], j) => {
      if (j > 0) {
        const padding: [number, number] = [x.size(2) % 2, x.size(3) % 2];
        [x, y] = [torch.F.avgPool2d(x, 2, { padding }), torch.F.avgPool2d(y, 2, { padding })]; // (B, C, h, w)
      }
      const { muX, muY, varX, varY, covXY } = localStatistics(x, y, msSsimWindow(h, w), SIGMA);
      const cs = covXY.mul(2).add(C2).div(varX.add(varY).add(C2)); // (B, C, h', w')
      const last = j === sizes.length - 1;
      const term = last ? muX.mul(muY).mul(2).add(C1).div(muX.square().add(muY.square()).add(C1)).mul(cs) : cs;
      terms.push(term.mean([2, 3]).relu());
    });
    const weights = torch.tensor([...MS_SSIM_WEIGHTS], { dtype: a.dtype, device: a.device }).view(-1, 1, 1); // (5, 1, 1)
    return torch.stack(terms, 0).pow(weights).prod(0).mean(1); // (5, B, C) -> (B, C) -> (B)
  });
}
