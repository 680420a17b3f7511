// SSIM (Wang et al. 2004), the reference implementation for the `pixel` training loss and the
// evaluation metrics:
//   SSIM(x, y) = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))
// with Gaussian-weighted local statistics, C1 = (K1 L)^2, C2 = (K2 L)^2.
//
// Convention: scikit-image's structural_similarity(gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, data_range=1): an 11x11 Gaussian window (sigma 1.5, truncated at
// radius 5 and normalised), population (co)variances E[xy] - E[x]E[y], and the mean over every
// channel and over the pixels whose whole window lies inside the image.
//
// Borders: we filter with 'valid' convolutions (no padding), so the map is (H - 10) x (W - 10).
// scikit-image filters the whole image with reflect padding and then crops (11 - 1)/2 = 5 pixels
// from each side before averaging; the pixels it keeps are exactly those whose window never
// touches the padding, so the two means are the same number. pytorch-msssim's `ssim` is also
// 'valid' convolution, hence the same value too. (Averaging the uncropped reflect-padded map, as
// some other implementations do, gives a different number.)
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";

export interface SsimOptions {
  /** Side of the Gaussian window, odd (default 11). */
  windowSize?: number;
  /** Standard deviation of the window in pixels (default 1.5). */
  sigma?: number;
  /** Default 0.01. */
  k1?: number;
  /** Default 0.03. */
  k2?: number;
  /** L, the range of pixel values (default 1, images in [0, 1]). */
  dataRange?: number;
}

/** The normalised 1-D Gaussian window exp(-d^2 / (2 sigma^2)), d = -(size-1)/2 .. (size-1)/2. */
export function gaussianWindow(size: number, sigma: number): number[] {
  const half = (size - 1) / 2;
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
}

/**
 * The SSIM map of x and y (B, C, H, W) -> (B, C, H - w + 1, W - w + 1) for window side w;
 * differentiable with respect to both. H and W must be at least w.
 */
export function ssimMap(x: Tensor, y: Tensor, options: SsimOptions = {}): Tensor {
  const size = options.windowSize ?? 11;
  const sigma = options.sigma ?? 1.5;
  const range = options.dataRange ?? 1;
  const c1 = ((options.k1 ?? 0.01) * range) ** 2;
  const c2 = ((options.k2 ?? 0.03) * range) ** 2;
  if (x.ndim !== 4 || x.shape.join() !== y.shape.join()) {
    throw new RangeError(`ssim: needs two (B, C, H, W) images of the same shape, got [${x.shape.join(", ")}] and [${y.shape.join(", ")}]`);
  }
  if (size % 2 !== 1) throw new RangeError(`ssim: windowSize must be odd, got ${size}`);
  const [, , h, w] = x.shape;
  if (h < size || w < size) throw new RangeError(`ssim: a ${h}x${w} image is smaller than the ${size}x${size} window`);
  return torch.tidy(() => {
    const { muX, muY, varX, varY, covXY } = localStatistics(x, y, size, sigma);
    const muXY = muX.mul(muY);
    const muX2 = muX.mul(muX);
    const muY2 = muY.mul(muY);
    const numerator = muXY.mul(2).add(c1).mul(covXY.mul(2).add(c2));
    const denominator = muX2.add(muY2).add(c1).mul(varX.add(varY).add(c2));
    return numerator.div(denominator);
  });
}

/** Gaussian-weighted local means, population variances and covariance of two images. */
export interface LocalStatistics {
  muX: Tensor;
  muY: Tensor;
  varX: Tensor;
  varY: Tensor;
  covXY: Tensor;
}

/**
 * The local statistics of x and y (B, C, H, W) under a size x size Gaussian window, each
 * (B, C, H - size + 1, W - size + 1) ('valid' filtering, no padding). The caller checks that the
 * shapes match, `size` is odd and the window fits; the tensors belong to the caller's tidy scope.
 * Shared by ssimMap and the evaluation's MS-SSIM, which needs the contrast-structure term alone.
 */
export function localStatistics(x: Tensor, y: Tensor, size: number, sigma: number): LocalStatistics {
  const [b, c] = x.shape;
  const g = torch.tensor(gaussianWindow(size, sigma), { dtype: x.dtype, device: x.device });
  const vertical = g.view(1, 1, size, 1).repeat(c, 1, 1, 1); // (C, 1, w, 1)
  const horizontal = g.view(1, 1, 1, size).repeat(c, 1, 1, 1); // (C, 1, 1, w)
  // The five local moments in one separable, depthwise, 'valid' filtering pass.
  const stacked = torch.cat([x, y, x.mul(x), y.mul(y), x.mul(y)], 0); // (5B, C, H, W)
  const filtered = torch.F.conv2d(torch.F.conv2d(stacked, vertical, undefined, { groups: c }), horizontal, undefined, { groups: c }); // (5B, C, H-w+1, W-w+1)
  const [muX, muY, xx, yy, xy] = filtered.split(b, 0);
  return { muX, muY, varX: xx.sub(muX.mul(muX)), varY: yy.sub(muY.mul(muY)), covXY: xy.sub(muX.mul(muY)) };
}

/** Mean SSIM of each image: x, y (B, C, H, W) -> (B). 1 for identical images. */
export function ssim(x: Tensor, y: Tensor, options: SsimOptions = {}): Tensor {
  return torch.tidy(() => ssimMap(x, y, options).mean([1, 2, 3]));
}
