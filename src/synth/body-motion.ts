// One video's dance: the body turns (yaw up to about 70 degrees, so one side passes behind), arms
// swing across the chest (crossing each other and the torso), legs kick and bend.
import { wave, type Pose } from "./kind.js";
import type { Rng } from "../util/prng.js";

export function bodyMotion(rng: Rng, frames: number): (t: number) => Pose {
  const signal = () => {
    const w = wave(rng, frames, 1.6);
    return w;
  };
  const yaw = signal(),
    yawAmp = rng.range(0.3, 1.2);
  const tx = signal(),
    txAmp = rng.range(0, 0.25);
  const bob = signal();
  const lean = signal();
  const parts = ["L", "R"] as const;
  const arm = Object.fromEntries(parts.map((s) => [s, { swing: signal(), across: signal(), elbow: signal(), amp: rng.range(0.8, 1.6) }]));
  const leg = Object.fromEntries(parts.map((s) => [s, { swing: signal(), knee: signal(), amp: rng.range(0.2, 0.7) }]));
  const headTurn = signal();
  return (t) => {
    const pose: Pose = {
      yaw: yawAmp * yaw(t),
      tx: txAmp * tx(t),
      ty: 0.03 * bob(t),
      lean: 0.15 * lean(t),
      headYaw: 0.5 * headTurn(t),
    };
    for (const s of parts) {
      const a = arm[s];
      pose[`shoulderSwing${s}`] = a.amp * a.swing(t); // forward (+) / back, radians
      pose[`shoulderAcross${s}`] = 0.2 + 0.9 * a.across(t); // away from the body (+) or across it (-)
      pose[`elbow${s}`] = 0.9 + 0.8 * a.elbow(t); // bend, radians
      const l = leg[s];
      pose[`hipSwing${s}`] = l.amp * l.swing(t);
      pose[`knee${s}`] = 0.6 + 0.6 * l.knee(t);
    }
    return pose;
  };
}
