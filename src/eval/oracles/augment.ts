// Batched training augmentations of the oracles, on tensors. Each takes per-sample random numbers
// from the caller (so a seeded run is reproducible) and changes only the samples they select.
//
// Why these: the oracles will judge frames a generator made, which are softer and noisier than the
// renderer's; background swaps make the identity net look at the person, not at the backdrop that
// `dime synth` draws per identity (an animated frame keeps the source's backdrop whatever happens
// to the person). Colour changes are for the landmark net only: colour is part of an identity.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";

/** (B, 3, S, S) uint8 -> float32 in [0, 1]. */
export function toUnit(frames: Tensor): Tensor {
  return torch.tidy(() => frames.to("float32").div(255));
}

/**
 * The person on another backdrop: where `foreground` (B, 1, S, S) is false, take `backgrounds`
 * (B, 3, S, S), for the samples where `swap` (B) is true. frames (B, 3, S, S) -> (B, 3, S, S).
 */
export function swapBackground(frames: Tensor, foreground: Tensor, backgrounds: Tensor, swap: Tensor): Tensor {
  return torch.tidy(() => {
    const replace = foreground.logicalNot().logicalAnd(swap.view(-1, 1, 1, 1)); // (B, 1, S, S)
    return torch.where(replace, backgrounds, frames);
  });
}

/**
 * Blurs each sample by `amount` (B) in [0, 1]: x + amount (g * x - x) with g the 3x3 binomial
 * kernel [1 2 1]^T [1 2 1] / 16, edges replicated. (B, 3, S, S) -> same.
 */
export function soften(frames: Tensor, amount: Tensor): Tensor {
  return torch.tidy(() => {
    const taps = torch.tensor([1, 2, 1]).div(4);
    const kernel = taps.view(3, 1).mul(taps.view(1, 3)).view(1, 1, 3, 3).expand(3, 1, 3, 3).contiguous(); // (3, 1, 3, 3)
    const blurred = torch.F.conv2d(torch.F.pad(frames, [1, 1, 1, 1], "replicate"), kernel, undefined, { groups: 3 });
    return frames.add(blurred.sub(frames).mul(amount.view(-1, 1, 1, 1)));
  });
}

/** Adds Gaussian noise of standard deviation `sigma` (B) per sample and clamps to [0, 1]. */
export function addNoise(frames: Tensor, sigma: Tensor): Tensor {
  return torch.tidy(() => frames.add(torch.randn(frames.shape).mul(sigma.view(-1, 1, 1, 1))).clamp(0, 1));
}

/**
 * Per-sample colour change for the landmark net: x gain (B, 3) + offset (B), clamped to [0, 1].
 * Not for the identity net (skin and hair colour are part of who it is).
 */
export function jitterColour(frames: Tensor, gain: Tensor, offset: Tensor): Tensor {
  return torch.tidy(() =>
    frames
      .mul(gain.view(-1, 3, 1, 1))
      .add(offset.view(-1, 1, 1, 1))
      .clamp(0, 1),
  );
}

/**
 * For each landmark, the index of its mirror image (`eye_left` <-> `eye_right`); others map to
 * themselves. A mirrored picture shows the left landmark where the right one was.
 */
export function mirrorIndex(names: readonly string[]): number[] {
  return names.map((name, i) => {
    const other = name.endsWith("_left") ? `${name.slice(0, -5)}_right` : name.endsWith("_right") ? `${name.slice(0, -6)}_left` : name;
    const j = names.indexOf(other);
    return j < 0 ? i : j;
  });
}

export interface LandmarkBatch {
  /** (B, 3, S, S) */
  frames: Tensor;
  /** (B, K, 2) in [-1, 1] */
  points: Tensor;
  /** (B, K) */
  visible: Tensor;
}

/**
 * Mirrors the samples where `flip` (B) is true: pixels left-right, x -> -x (exact under the
 * align-corners convention: pixel i of n goes to n - 1 - i), landmarks renamed by `mirror`.
 */
export function flipLandmarks(batch: LandmarkBatch, flip: Tensor, mirror: readonly number[]): LandmarkBatch {
  return torch.tidy(() => {
    const index = torch.tensor([...mirror], { dtype: "int64" });
    const sign = torch.tensor([-1, 1]);
    const flipped = {
      frames: batch.frames.flip(3),
      points: batch.points.indexSelect(1, index).mul(sign), // (B, K, 2)
      visible: batch.visible.indexSelect(1, index), // (B, K)
    };
    const pick = (a: Tensor, b: Tensor) => torch.where(flip.view(-1, ...a.shape.slice(1).map(() => 1)), a, b);
    return {
      frames: pick(flipped.frames, batch.frames),
      points: pick(flipped.points, batch.points),
      visible: pick(flipped.visible, batch.visible),
    };
  });
}
