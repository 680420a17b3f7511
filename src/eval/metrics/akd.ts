// AKD, the average keypoint distance (Siarohin et al., FOMM, section 4; DiME section 4): keypoints
// detected on the generated and on the real frame, compared point by point.
//
// Convention: Euclidean distance in pixels, averaged over the keypoints present in both frames;
// keypoints come either in the project's normalised coordinates (x, y in [-1, 1], align_corners
// true: pixel = (c + 1) / 2 * (side - 1), so a difference scales by (side - 1) / 2) or already in
// pixels. FOMM's own scorer (AliaksandrSiarohin/pose-evaluation, cmp.py) averages |dx| and |dy|
// instead, the mean absolute coordinate difference; `distance: "mean-abs"` gives that number.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";

export interface AkdOptions {
  /**
   * (B, K) bool or 0/1: which keypoints count (pass visibleA.logicalAnd(visibleB) for "present in
   * both"). Default: all.
   */
  visible?: Tensor;
  /** "normalized" (default): x, y in [-1, 1]; "pixels": already in pixels (size is then ignored). */
  coords?: "normalized" | "pixels";
  /** "euclidean" (default) or "mean-abs" (pose-evaluation's mean of |dx| and |dy|). */
  distance?: "euclidean" | "mean-abs";
}

/**
 * Mean keypoint distance in pixels of each frame: kpA, kpB (B, K, 2) as (x, y); `size` the frame's
 * side, or [height, width]. Returns (B), float; a frame with no counted keypoint gives NaN (leave
 * it out of the average, as pose-evaluation skips it).
 */
export function akd(kpA: Tensor, kpB: Tensor, size: number | readonly [number, number], options: AkdOptions = {}): Tensor {
  const shapes = `[${kpA.shape.join(", ")}] and [${kpB.shape.join(", ")}]`;
  if (kpA.ndim !== 3 || kpA.size(2) !== 2 || kpA.shape.join() !== kpB.shape.join()) {
    throw new RangeError(`akd: needs two keypoint sets (B, K, 2) of the same shape, got ${shapes}`);
  }
  const visible = options.visible;
  if (visible !== undefined && visible.shape.join() !== kpA.shape.slice(0, 2).join()) {
    throw new RangeError(`akd: visible must be (B, K) = [${kpA.shape.slice(0, 2).join(", ")}], got [${visible.shape.join(", ")}]`);
  }
  const [height, width] = typeof size === "number" ? [size, size] : size;
  const coords = options.coords ?? "normalized";
  if (coords === "normalized" && !(height > 1 && width > 1))
    throw new RangeError(`akd: size must be the frame's side in pixels (> 1), got ${size}`);
  return torch.tidy(() => {
    let delta = kpA.sub(kpB); // (B, K, 2)
    if (coords === "normalized")
      delta = delta.mul(torch.tensor([(width - 1) / 2, (height - 1) / 2], { dtype: delta.dtype, device: delta.device }));
    const perPoint = options.distance === "mean-abs" ? delta.abs().mean(2) : delta.square().sum(2).sqrt(); // (B, K)
    if (visible === undefined) return perPoint.mean(1);
    const mask = visible.to(perPoint.dtype); // (B, K)
    return perPoint.mul(mask).sum(1).div(mask.sum(1)); // 0 / 0 = NaN for a frame with none
  });
}
