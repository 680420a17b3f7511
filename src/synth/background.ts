// Identity-specific backgrounds (stripes, checks, dots, clouds): part of what makes identities differ.
import { mix, vivid, type Colour } from "../util/colour.js";
import { fractalNoise } from "./noise.js";
import type { Rng } from "../util/prng.js";

export type BackgroundFn = (x: number, y: number, out: Float64Array) => void;

/** A random textured background; the texture is fixed in the frame (the camera does not move). */
export function randomBackground(rng: Rng): BackgroundFn {
  const a: Colour = vivid(rng, rng.range(0.55, 0.95));
  const b: Colour = mix(a, vivid(rng), rng.range(0.3, 0.7));
  const kind = rng.int(4);
  const freq = rng.range(2, 6);
  const angle = rng.range(0, Math.PI);
  const ca = Math.cos(angle),
    sa = Math.sin(angle);
  const seed = rng.int(1 << 30);
  return (x, y, out) => {
    let t: number;
    const u = x * ca + y * sa;
    const v = -x * sa + y * ca;
    if (kind === 0)
      t = 0.5 + 0.5 * Math.sin(u * freq * Math.PI); // soft stripes
    else if (kind === 1)
      t = (Math.floor(u * freq) + Math.floor(v * freq)) & 1 ? 0.85 : 0.15; // checks
    else if (kind === 2) {
      const fu = u * freq - Math.floor(u * freq) - 0.5;
      const fv = v * freq - Math.floor(v * freq) - 0.5;
      t = fu * fu + fv * fv < 0.09 ? 1 : 0; // dots
    } else t = fractalNoise(x * freq + 10, y * freq + 10, seed); // clouds
    const shade = 0.9 + 0.1 * (1 - (x * x + y * y) / 2); // slight vignette
    out[0] = (a[0] + (b[0] - a[0]) * t) * shade;
    out[1] = (a[1] + (b[1] - a[1]) * t) * shade;
    out[2] = (a[2] + (b[2] - a[2]) * t) * shade;
  };
}
