// How a picture of any shape is brought to the model's size: the `--crop` and padding choices.
import type { Rgb } from "./image.js";

/**
 * Target size and how to get there.
 * - `crop: "center"` (default): scale so the picture covers the target, cut the overflow evenly from
 *   both sides (nothing is distorted, the borders of the long side are lost).
 * - `crop: "none"`: scale so the whole picture fits, then pad the short side evenly. `pad` says
 *   with what: `"color"` (`padColor`, default black), `"edge"` (repeat the border pixels) or
 *   `"mirror"` (reflect the picture).
 * Downscaling is anti-aliased (libvips' Lanczos-3 kernel, which filters before it samples).
 */
export interface FitOptions {
  width: number;
  height: number;
  crop?: "center" | "none";
  pad?: "color" | "edge" | "mirror";
  padColor?: Rgb;
}

/** The integer offsets and scaled size of a `crop: "none"` fit: where the picture sits in the frame. */
export function containBox(srcWidth: number, srcHeight: number, width: number, height: number) {
  const scale = Math.min(width / srcWidth, height / srcHeight);
  const w = Math.max(1, Math.min(width, Math.round(srcWidth * scale)));
  const h = Math.max(1, Math.min(height, Math.round(srcHeight * scale)));
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  return { w, h, left, top, right: width - w - left, bottom: height - h - top };
}

/** Checks a fit request; returns a message for the user when it is not valid. */
export function fitProblem(fit: FitOptions): string | undefined {
  for (const [name, v] of [
    ["width", fit.width],
    ["height", fit.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 16384) return `${name} must be an integer in 1..16384, got ${v}`;
  }
  return undefined;
}
