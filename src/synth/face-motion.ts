// One video's head motion: large yaw (up to about 77 degrees, so an eye and an ear disappear),
// pitch, roll, translation, scale, blinks, mouth opening, gaze and brows.
import { wave, type Pose } from "./kind.js";
import type { Rng } from "../util/prng.js";

/** The largest yaw any frame reaches (radians): about 77 degrees. */
export const MAX_YAW = 1.35;

export function faceMotion(rng: Rng, frames: number): (t: number) => Pose {
  const yawAmp = rng.range(0.6, MAX_YAW);
  const yawBias = rng.range(-0.2, 0.2);
  const yaw = wave(rng, frames, 1.3);
  const pitch = wave(rng, frames);
  const pitchAmp = rng.range(0.05, 0.3);
  const roll = wave(rng, frames);
  const rollAmp = rng.range(0.05, 0.25);
  const tx = wave(rng, frames, 1);
  const ty = wave(rng, frames, 1);
  const txAmp = rng.range(0, 0.15);
  const tyAmp = rng.range(0, 0.1);
  const zoom = wave(rng, frames, 1);
  const zoomAmp = rng.range(0, 0.1);
  const mouth = wave(rng, frames, 3);
  const mouthAmp = rng.range(0.3, 1);
  const gazeX = wave(rng, frames, 2);
  const gazeY = wave(rng, frames, 2);
  const brow = wave(rng, frames, 2);
  const blinkEvery = rng.range(12, 30);
  const blinkPhase = rng.range(0, blinkEvery);
  return (t) => {
    const sinceBlink = (t + blinkPhase) % blinkEvery;
    const eyeOpen = Math.min(1, Math.abs(sinceBlink - 1.5) / 1.5);
    return {
      yaw: Math.max(-MAX_YAW, Math.min(MAX_YAW, yawBias + yawAmp * yaw(t))),
      pitch: pitchAmp * pitch(t),
      roll: rollAmp * roll(t),
      tx: txAmp * tx(t),
      ty: tyAmp * ty(t),
      scale: 1 + zoomAmp * zoom(t),
      eyeOpen,
      mouthOpen: Math.max(0, mouthAmp * mouth(t)),
      gazeX: 0.5 * gazeX(t),
      gazeY: 0.3 * gazeY(t),
      browRaise: 0.5 + 0.5 * brow(t),
    };
  };
}
