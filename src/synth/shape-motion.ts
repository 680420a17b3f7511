// One video's motion of a blob creature: drift, spin, squash, outline deformation, limbs swinging
// round the body and passing in front of and behind it.
import { wave, type Pose } from "./kind.js";
import { LIMBS } from "./shape-identity.js";
import type { Rng } from "../util/prng.js";

export function shapeMotion(rng: Rng, frames: number): (t: number) => Pose {
  const tx = wave(rng, frames, 1),
    ty = wave(rng, frames, 1);
  const txAmp = rng.range(0.05, 0.25),
    tyAmp = rng.range(0.05, 0.2);
  const spin = wave(rng, frames, 1),
    spinAmp = rng.range(0.3, 1.2);
  const squash = wave(rng, frames, 2),
    squashAmp = rng.range(0.05, 0.2);
  const limbs = Array.from({ length: LIMBS }, () => ({
    swing: wave(rng, frames, 1.5),
    depth: wave(rng, frames, 1.5),
    amp: rng.range(0.3, 1.0),
  }));
  return (t) => {
    const pose: Pose = { tx: txAmp * tx(t), ty: tyAmp * ty(t), spin: spinAmp * spin(t), squash: squashAmp * squash(t), time: t };
    limbs.forEach((l, i) => {
      pose[`limbSwing${i}`] = l.amp * l.swing(t);
      pose[`limbDepth${i}`] = l.depth(t); // > 0 in front of the body, < 0 behind
    });
    return pose;
  };
}
