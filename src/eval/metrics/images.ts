// Input checks shared by the image metrics: two batches of images (B, C, H, W) that can be
// compared element by element, so that a mistake is one clear line, not a libtorch broadcast
// error (or, worse, a silent broadcast) from deep inside a metric.
import type { Tensor } from "../../torch/index.js";
import * as torch from "../../torch/index.js";

/** Throws unless a and b are floating-point (B, C, H, W) tensors of one shape, dtype and device. */
export function checkImagePair(metric: string, a: Tensor, b: Tensor, channels?: number): void {
  const shapes = `[${a.shape.join(", ")}] and [${b.shape.join(", ")}]`;
  if (a.ndim !== 4 || b.ndim !== 4 || a.shape.join() !== b.shape.join()) {
    throw new RangeError(`${metric}: needs two image batches (B, C, H, W) of the same shape, got ${shapes}`);
  }
  if (channels !== undefined && a.shape[1] !== channels) {
    throw new RangeError(`${metric}: needs ${channels}-channel images (B, ${channels}, H, W), got ${shapes}`);
  }
  if (!torch.isFloating(a.dtype) || a.dtype !== b.dtype) {
    throw new TypeError(`${metric}: needs two floating-point image batches of one dtype, got ${a.dtype} and ${b.dtype}`);
  }
  if (a.device !== b.device) throw new TypeError(`${metric}: the images are on ${a.device} and ${b.device}; put both on one device`);
}

/**
 * Throws unless every value of the images lies in [0, 1] (to within 1e-4, for resampling
 * round-off): metrics with a fixed data range (SSIM, MS-SSIM) or a fixed input mapping (LPIPS,
 * Inception) give meaningless numbers on 0..255 images. One reduction and a
 * two-number copy per batch.
 */
export function checkUnitRange(metric: string, ...images: Tensor[]): void {
  for (const image of images) {
    const [min, max] = torch.tidy(() => torch.stack([image.amin(), image.amax()]).toArray());
    if (!(min >= -1e-4 && max <= 1 + 1e-4)) {
      throw new RangeError(
        `${metric}: images must be in [0, 1], got values in [${min}, ${max}]${max > 2 ? " (0..255 images? divide by 255)" : ""}`,
      );
    }
  }
}
