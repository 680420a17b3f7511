// Motion fields as colour pictures: the displacement of a sampling grid, coloured in HSV with
// hue = direction and saturation = magnitude (white = no motion), as optical-flow figures do.
import { hsv } from "../util/colour.js";

/**
 * The displacement of a sampling grid (h, w, 2) in [-1, 1] coordinates (x right, y down, as
 * grid_sample reads it): grid minus the identity grid, so each vector points from an output pixel
 * to the place of the view it samples. Returns (h, w, 2).
 */
export function gridDisplacement(grid: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w * 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 2;
      out[i] = grid[i] - (w > 1 ? (2 * x) / (w - 1) - 1 : 0);
      out[i + 1] = grid[i + 1] - (h > 1 ? (2 * y) / (h - 1) - 1 : 0);
    }
  }
  return out;
}

/** The largest vector length in a displacement field (h*w*2 values). */
export function largestMagnitude(displacement: Float32Array): number {
  let most = 0;
  for (let i = 0; i < displacement.length; i += 2) most = Math.max(most, Math.hypot(displacement[i], displacement[i + 1]));
  return most;
}

/**
 * Colours a displacement field (h*w*2 values) as interleaved 8-bit RGB: hue is the direction
 * (right red, down yellow-green, left cyan, up violet), saturation the length over `scale`
 * (clamped to 1), value 1. Give fields that should be compared the same `scale`.
 */
export function colourFlow(displacement: Float32Array, scale: number): Uint8Array {
  const pixels = displacement.length / 2;
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const [dx, dy] = [displacement[2 * p], displacement[2 * p + 1]];
    const hue = (Math.atan2(dy, dx) / (2 * Math.PI) + 1) % 1;
    const saturation = scale > 0 ? Math.min(1, Math.hypot(dx, dy) / scale) : 0;
    const colour = hsv(hue, saturation, 1);
    for (let c = 0; c < 3; c++) rgb[3 * p + c] = Math.round(colour[c] * 255);
  }
  return rgb;
}
