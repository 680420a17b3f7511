// What makes one blob creature different: outline harmonics, texture, colours, limbs, background.
import { randomBackground, type BackgroundFn } from "./background.js";
import { mix, vivid, type Colour } from "../util/colour.js";
import type { Rng } from "../util/prng.js";

/** Number of limbs every creature has (fixed, so landmark lists have one length). */
export const LIMBS = 3;

export interface ShapeIdentity {
  radius: number;
  /** Outline harmonics k = 2..5: amplitude, phase, speed (radians per frame). */
  harmonics: Array<{ k: number; amp: number; phase: number; speed: number }>;
  body: Colour;
  accent: Colour;
  /** 0 spots, 1 stripes, 2 rings, 3 noise. */
  texture: number;
  textureFreq: number;
  textureSeed: number;
  limbs: Array<{ angle: number; radius: number; colour: Colour }>;
  background: BackgroundFn;
}

export function shapeIdentity(rng: Rng): ShapeIdentity {
  const body = vivid(rng);
  return {
    radius: rng.range(0.38, 0.5),
    harmonics: [2, 3, 4, 5].map((k) => ({
      k,
      amp: rng.range(0.03, 0.16) / Math.sqrt(k - 1),
      phase: rng.range(0, 2 * Math.PI),
      speed: rng.range(-0.25, 0.25),
    })),
    body,
    accent: mix(vivid(rng), [0, 0, 0], rng.range(0, 0.5)),
    texture: rng.int(4),
    textureFreq: rng.range(3, 7),
    textureSeed: rng.int(1 << 30),
    limbs: Array.from({ length: LIMBS }, (_, i) => ({
      angle: (2 * Math.PI * i) / LIMBS + rng.range(-0.5, 0.5),
      radius: rng.range(0.13, 0.2),
      colour: mix(body, vivid(rng), rng.range(0.3, 0.8)),
    })),
    background: randomBackground(rng.fork("background")),
  };
}
