// The side-by-side view of `dime animate --visualize`: source | driving | output, each with its
// keypoints drawn (one colour per keypoint, the same in every panel, so a person can follow
// keypoint k from the driving frame to where it moved the source).
import { imageToRgb24, type RgbImage } from "../media/image.js";
import { dot, type Picture } from "../util/draw.js";

export interface Panel {
  image: RgbImage;
  /** (K, 2) flat, in [-1, 1] (x right, y down); omitted: nothing drawn. */
  keypoints?: ArrayLike<number>;
}

/** A colour per keypoint: hues spread evenly around the wheel, fully saturated. */
export function keypointColour(k: number, count: number): [number, number, number] {
  const h = (6 * k) / Math.max(1, count);
  const x = 1 - Math.abs((h % 2) - 1);
  const [r, g, b] = h < 1 ? [1, x, 0] : h < 2 ? [x, 1, 0] : h < 3 ? [0, 1, x] : h < 4 ? [0, x, 1] : h < 5 ? [x, 0, 1] : [1, 0, x];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/** The panels (all the same size) left to right as one rgb24 picture, keypoints drawn. */
export function sideBySide(panels: readonly Panel[]): Picture {
  const { width, height } = panels[0].image;
  const total = width * panels.length;
  const pic: Picture = { rgb: new Uint8Array(total * height * 3), width: total, height };
  const radius = Math.max(1, Math.round(width / 80));
  panels.forEach((panel, p) => {
    if (panel.image.width !== width || panel.image.height !== height)
      throw new RangeError(`panel ${p} is ${panel.image.width}x${panel.image.height}, the first ${width}x${height}`);
    // Drawn on the panel alone, so a keypoint near an edge never spills into its neighbour.
    const own: Picture = { rgb: imageToRgb24(panel.image), width, height };
    const kp = panel.keypoints ?? [];
    const count = kp.length / 2;
    for (let k = 0; k < count; k++) {
      // align_corners: -1 and 1 are the centres of the first and last pixels.
      const x = ((kp[2 * k] + 1) * (width - 1)) / 2;
      const y = ((kp[2 * k + 1] + 1) * (height - 1)) / 2;
      if (Number.isFinite(x) && Number.isFinite(y)) dot(own, x, y, radius, keypointColour(k, count));
    }
    for (let y = 0; y < height; y++) pic.rgb.set(own.rgb.subarray(y * width * 3, (y + 1) * width * 3), (y * total + p * width) * 3);
  });
  return pic;
}
