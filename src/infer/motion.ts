// Relative and absolute motion transfer (DESIGN section 6, FOMM's `normalize_kp`), the adapt-scale
// factor and the best-frame search. The target keypoints are what every view (source and
// references) is animated toward.
import * as torch from "../torch/index.js";
import { linalg } from "../torch/index.js";
import type { Keypoints } from "../dime/keypoint_detector.js";
import { hullArea, type Points } from "./hull.js";

/**
 * `relative` (the default, as in FOMM's demo): kp_S + (kp_D(t) - kp_D(0)) * scale, so the source
 * keeps its own shape and only the driving motion is transferred; `absolute`: kp_D(t) as it is.
 */
export type MotionMode = "relative" | "absolute";

/** Below this a hull counts as degenerate (collinear or coincident keypoints); keypoints live in [-1, 1]. */
const DEGENERATE_AREA = 1e-9;

/**
 * The adapt-scale factor sqrt(area(hull(kpSource)) / area(hull(kpInitial))) for (K, 2) keypoints.
 * When either hull is degenerate the ratio means nothing, and the factor is 1 (no adaptation).
 */
export function movementScale(kpSource: Points, kpInitial: Points): number {
  const source = hullArea(kpSource);
  const initial = hullArea(kpInitial);
  if (source < DEGENERATE_AREA || initial < DEGENERATE_AREA) return 1;
  return Math.sqrt(source / initial);
}

/**
 * Keypoints (K, 2) brought to a common position and size for comparison, as FOMM's demo does with
 * its landmarks: the mean is subtracted and the result divided by sqrt(area of the hull), so two
 * sets that differ only by a translation and a uniform scale normalise to the same points.
 * A degenerate hull leaves the size as it is (divides by 1).
 */
export function normalizeKeypoints(points: Points): Float64Array {
  const k = points.length / 2;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < k; i++) {
    mx += points[2 * i] / k;
    my += points[2 * i + 1] / k;
  }
  const area = hullArea(points);
  const size = area < DEGENERATE_AREA ? 1 : Math.sqrt(area);
  const out = new Float64Array(points.length);
  for (let i = 0; i < k; i++) {
    out[2 * i] = (points[2 * i] - mx) / size;
    out[2 * i + 1] = (points[2 * i + 1] - my) / size;
  }
  return out;
}

/**
 * The index of the driving frame whose normalised keypoints are closest (sum of squared
 * distances) to the source's; the earliest on a tie. `frames` holds one (K, 2) set per frame.
 */
export function bestFrame(kpSource: Points, frames: readonly Points[]): number {
  if (frames.length === 0) throw new RangeError("bestFrame: no driving frames");
  const source = normalizeKeypoints(kpSource);
  let best = 0;
  let bestDistance = Infinity;
  frames.forEach((points, index) => {
    if (points.length !== source.length)
      throw new RangeError(`bestFrame: frame ${index} has ${points.length / 2} keypoints, the source ${source.length / 2}`);
    const normalised = normalizeKeypoints(points);
    let distance = 0;
    for (let i = 0; i < source.length; i++) distance += (normalised[i] - source[i]) ** 2;
    if (distance < bestDistance) {
      best = index;
      bestDistance = distance;
    }
  });
  return best;
}

export interface MotionTransfer {
  mode: MotionMode;
  /** The relative displacement's factor (1, or movementScale's with adapt-scale). */
  scale: number;
}

/**
 * The keypoints to animate toward, for a batch of driving frames. kpSource and kpInitial (kp_D(0),
 * the frame relative motion starts from) are (1, K, 2), kpDriving (B, K, 2); Jacobians (.., K, 2, 2)
 * where the model has them, moved as FOMM does: J_D(t) inv(J_D(0)) J_S. Returns (B, K, 2).
 */
export function targetKeypoints(kpSource: Keypoints, kpDriving: Keypoints, kpInitial: Keypoints, motion: MotionTransfer): Keypoints {
  if (motion.mode === "absolute") return kpDriving;
  // fp32 island: keypoints and Jacobians are delicate parts (docs/precision.md); under bf16
  // autocast the matmuls would hand the coarse motion bf16 Jacobians, which linalg.inv refuses.
  return torch.tidy(() =>
    torch.fp32Island(() => {
      const value = kpDriving.value.sub(kpInitial.value).mul(motion.scale).add(kpSource.value); // (B, K, 2)
      if (!kpDriving.jacobian || !kpInitial.jacobian || !kpSource.jacobian) return { value };
      const change = kpDriving.jacobian.matmul(linalg.inv(kpInitial.jacobian)); // (B, K, 2, 2)
      return { value, jacobian: change.matmul(kpSource.jacobian) };
    }),
  );
}
