// Colour helpers for the synthetic renderer: RGB triples in [0, 1].
import type { Rng } from "./prng.js";

export type Colour = [number, number, number];

/** HSV (all in [0, 1]) -> RGB. */
export function hsv(h: number, s: number, v: number): Colour {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/** a + (b - a) * t, per channel. */
export function mix(a: Colour, b: Colour, t: number): Colour {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** Each channel times k. */
export function scale(c: Colour, k: number): Colour {
  return [c[0] * k, c[1] * k, c[2] * k];
}

/** A saturated colour of random hue, for clothes, backgrounds and props. */
export function vivid(rng: Rng, value = rng.range(0.5, 0.95)): Colour {
  return hsv(rng.float(), rng.range(0.45, 0.9), value);
}
