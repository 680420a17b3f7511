// Augmentations on planar RGB float frames (3, H, W), in place: horizontal flip and colour jitter
// (brightness, contrast, saturation, hue), in torchvision's order and meaning.
import type { ItemPlan } from "./plan.js";

/** Mirrors a (3, H, W) frame left-right, in place. */
export function hflip(data: Float32Array, width: number, height: number): void {
  for (let row = 0; row < 3 * height; row++) {
    const o = row * width;
    for (let x = 0, y = width - 1; x < y; x++, y--) {
      const t = data[o + x];
      data[o + x] = data[o + y];
      data[o + y] = t;
    }
  }
}

/**
 * Colour jitter of a (3, H, W) frame in place: brightness scales, contrast blends with the mean
 * grey, saturation blends with the pixel's grey, hue rotates chroma in YIQ space by `hue` turns.
 * Results are clamped to [0, 1].
 */
export function colourJitter(
  data: Float32Array,
  width: number,
  height: number,
  plan: Pick<ItemPlan, "brightness" | "contrast" | "saturation" | "hue">,
): void {
  const plane = width * height;
  const { brightness: b, contrast: c, saturation: s } = plan;
  let mean = 0;
  if (c !== 1) {
    for (let i = 0; i < plane; i++) mean += 0.299 * data[i] + 0.587 * data[plane + i] + 0.114 * data[2 * plane + i];
    mean = (mean / plane) * b;
  }
  const angle = plan.hue * 2 * Math.PI;
  const cos = Math.cos(angle),
    sin = Math.sin(angle);
  for (let i = 0; i < plane; i++) {
    let r = data[i] * b,
      g = data[plane + i] * b,
      bl = data[2 * plane + i] * b;
    r = clamp(r);
    g = clamp(g);
    bl = clamp(bl);
    if (c !== 1) {
      r = clamp(mean + (r - mean) * c);
      g = clamp(mean + (g - mean) * c);
      bl = clamp(mean + (bl - mean) * c);
    }
    const grey = 0.299 * r + 0.587 * g + 0.114 * bl;
    if (s !== 1) {
      r = clamp(grey + (r - grey) * s);
      g = clamp(grey + (g - grey) * s);
      bl = clamp(grey + (bl - grey) * s);
    }
    if (angle !== 0) {
      const y = 0.299 * r + 0.587 * g + 0.114 * bl;
      const i0 = 0.596 * r - 0.274 * g - 0.322 * bl;
      const q0 = 0.211 * r - 0.523 * g + 0.312 * bl;
      const iq = i0 * cos - q0 * sin;
      const qq = i0 * sin + q0 * cos;
      r = clamp(y + 0.956 * iq + 0.621 * qq);
      g = clamp(y - 0.272 * iq - 0.647 * qq);
      bl = clamp(y - 1.106 * iq + 1.703 * qq);
    }
    data[i] = r;
    data[plane + i] = g;
    data[2 * plane + i] = bl;
  }
}

function clamp(v: number): number {
  return Math.min(1, Math.max(0, v));
}
