// What makes one cartoon head a different person: skin, hair, eyes, mouth, ears, accessories, clothes, background.
import { randomBackground, type BackgroundFn } from "./background.js";
import { hsv, mix, vivid, type Colour } from "../util/colour.js";
import type { Rng } from "../util/prng.js";

export interface FaceIdentity {
  skin: Colour;
  hair: Colour;
  /** Hairline elevation (radians above the equator) at the front and at the back; waviness. */
  hairFront: number;
  hairBack: number;
  hairWave: number;
  hairWaveFreq: number;
  iris: Colour;
  /** Eye centre longitude (+-), elevation, half-width and half-height (radians on the head). */
  eyeLon: number;
  eyeUp: number;
  eyeW: number;
  eyeH: number;
  brow: Colour;
  browThick: number;
  mouthUp: number;
  mouthW: number;
  mouthH: number;
  lip: Colour;
  /** Nose and ear radius as fractions of the head radius. */
  noseR: number;
  earR: number;
  /** Head radius in frame units (the frame spans 2). */
  headR: number;
  glasses?: Colour;
  earrings?: Colour;
  shirt: Colour;
  freckles: number;
  background: BackgroundFn;
  backgroundSeed: number;
}

const SKIN_TONES: Colour[] = [
  [0.98, 0.85, 0.72],
  [0.93, 0.75, 0.6],
  [0.8, 0.6, 0.45],
  [0.62, 0.43, 0.3],
  [0.42, 0.28, 0.2],
  [0.75, 0.9, 0.65], // cartoon green
  [0.7, 0.8, 0.98], // cartoon blue
];

export function faceIdentity(rng: Rng): FaceIdentity {
  const skin = mix(rng.pick(SKIN_TONES), vivid(rng), rng.range(0, 0.15));
  const hair = rng.chance(0.5) ? hsv(rng.range(0.02, 0.12), rng.range(0.3, 0.8), rng.range(0.1, 0.55)) : vivid(rng, rng.range(0.3, 0.9));
  const backgroundSeed = rng.int(1 << 30);
  return {
    skin,
    hair,
    hairFront: rng.range(0.25, 0.75),
    hairBack: rng.range(-1.0, -0.2),
    hairWave: rng.range(0, 0.12),
    hairWaveFreq: rng.range(3, 9),
    iris: vivid(rng, rng.range(0.35, 0.8)),
    eyeLon: rng.range(0.3, 0.45),
    eyeUp: rng.range(0.0, 0.15),
    eyeW: rng.range(0.12, 0.19),
    eyeH: rng.range(0.08, 0.13),
    brow: mix(hair, [0, 0, 0], 0.3),
    browThick: rng.range(0.025, 0.055),
    mouthUp: rng.range(-0.55, -0.4),
    mouthW: rng.range(0.2, 0.36),
    mouthH: rng.range(0.05, 0.09),
    lip: mix(skin, hsv(rng.range(0.95, 1.0), rng.range(0.5, 0.8), rng.range(0.5, 0.85)), rng.range(0.4, 0.9)),
    noseR: rng.range(0.11, 0.19),
    earR: rng.range(0.2, 0.3),
    headR: rng.range(0.48, 0.58),
    ...(rng.chance(0.35) ? { glasses: vivid(rng, rng.range(0.1, 0.6)) } : {}),
    ...(rng.chance(0.3) ? { earrings: rng.pick<Colour>([[0.95, 0.8, 0.3], [0.85, 0.85, 0.9], vivid(rng)]) } : {}),
    shirt: vivid(rng),
    freckles: rng.chance(0.3) ? rng.range(0.1, 0.25) : 0,
    background: randomBackground(rng.fork("background")),
    backgroundSeed,
  };
}
