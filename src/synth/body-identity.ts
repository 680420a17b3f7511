// What makes one articulated figure a different person: proportions, skin, clothes, background.
import { randomBackground, type BackgroundFn } from "./background.js";
import { hsv, mix, vivid, type Colour } from "../util/colour.js";
import type { Rng } from "../util/prng.js";

export interface BodyIdentity {
  /** Overall size (frame units per body unit). */
  scale: number;
  /** Limb thickness factor and limb length factor. */
  girth: number;
  legLength: number;
  armLength: number;
  shoulderWidth: number;
  skin: Colour;
  hair: Colour;
  shirt: Colour;
  shirtStripe: Colour;
  stripeFreq: number;
  longSleeves: boolean;
  pants: Colour;
  shoes: Colour;
  background: BackgroundFn;
}

export function bodyIdentity(rng: Rng): BodyIdentity {
  const shirt = vivid(rng);
  return {
    scale: rng.range(0.9, 1.05),
    girth: rng.range(0.8, 1.3),
    legLength: rng.range(0.9, 1.1),
    armLength: rng.range(0.9, 1.1),
    shoulderWidth: rng.range(0.85, 1.2),
    skin: mix(hsv(rng.range(0.03, 0.1), rng.range(0.25, 0.6), rng.range(0.35, 0.95)), vivid(rng), 0.1),
    hair: hsv(rng.range(0, 1), rng.range(0.2, 0.8), rng.range(0.1, 0.6)),
    shirt,
    shirtStripe: rng.chance(0.6) ? mix(shirt, vivid(rng), 0.7) : shirt,
    stripeFreq: rng.range(4, 10),
    longSleeves: rng.chance(0.5),
    pants: vivid(rng, rng.range(0.2, 0.7)),
    shoes: hsv(rng.float(), rng.range(0, 0.5), rng.range(0.05, 0.4)),
    background: randomBackground(rng.fork("background")),
  };
}
