// The contract every synthetic kind (faces, bodies, shapes) fulfils: a random identity, a random
// motion for one video, and the scene of one frame.
import type { Rng } from "../util/prng.js";
import type { Scene } from "./scene.js";

/** Pose parameters of one frame (angles in radians, offsets in frame units). */
export type Pose = Record<string, number>;

export interface SynthKind<Identity> {
  name: "faces" | "bodies" | "shapes";
  /** Landmark names, in the order of `Scene.landmarks` and of meta.json. */
  landmarkNames: readonly string[];
  /** Draws what stays fixed for one identity (looks, proportions, background). */
  identity(rng: Rng): Identity;
  /** Draws one video's motion: the pose of frame t of `frames`. */
  motion(rng: Rng, frames: number): (t: number) => Pose;
  /** The scene of one frame. */
  scene(identity: Identity, pose: Pose): Scene;
  /** The identity's parameters as plain JSON for meta.json. */
  describe(identity: Identity): Record<string, unknown>;
}

/** A smooth random signal in [-1, 1] over `frames` frames: two sines of random phase and 0.5 to `cycles` cycles. */
export function wave(rng: Rng, frames: number, cycles = 1.5): (t: number) => number {
  const w1 = (2 * Math.PI * rng.range(0.5, cycles)) / Math.max(frames, 2);
  const w2 = (2 * Math.PI * rng.range(0.3, cycles * 1.7)) / Math.max(frames, 2);
  const p1 = rng.range(0, 2 * Math.PI);
  const p2 = rng.range(0, 2 * Math.PI);
  const mixWeight = rng.range(0.15, 0.4);
  return (t) => (1 - mixWeight) * Math.sin(w1 * t + p1) + mixWeight * Math.sin(w2 * t + p2);
}
