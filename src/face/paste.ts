// Paste-back (LivePortrait's): an animated crop goes back into the full picture through the
// inverse of the crop's mapping, blended with a feathered mask, so the output has the picture's
// size and is the picture itself, bit for bit, wherever the mask is 0.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { RgbImage } from "../media/image.js";
import type { CropBox } from "./box.js";
import { asTensor, cropGeometry } from "./crop.js";
import { resampleMatrix } from "./resample.js";

export interface PasteOptions {
  /** Share of the crop's side over which the mask rises from 0 to 1 at each edge (default 0.15). */
  feather?: number;
  /** Share of the crop's side left out at each edge (mask 0; default 0.04), so the crop's own border, where padding may show, never reaches the output. */
  inset?: number;
}

/** The mask's profile across the crop: 0 in the inset, a smoothstep over the feather, 1 inside. `u` in crop widths, [0, 1]. */
export function featherProfile(u: number, feather = 0.15, inset = 0.04): number {
  const d = Math.min(u, 1 - u) - inset; // distance from the inset edge
  if (d <= 0) return 0;
  if (d >= feather) return 1;
  const t = d / feather;
  return t * t * (3 - 2 * t);
}

/** The picture pixels [start, end) along one axis that the crop covers (from `first` with `step`, `count` crop pixels). */
function coveredRange(first: number, step: number, count: number, size: number): [number, number] {
  const start = Math.max(0, Math.floor(first + 0.5 - step / 2));
  const end = Math.min(size, Math.ceil(first + 0.5 + (count - 0.5) * step));
  return [start, Math.max(start, end)];
}

/** The change pasting makes: `mask * (animated mapped back - source)` on the covered region [x0, x1) x [y0, y1) (3, y1-y0, x1-x0), or undefined when the box misses the picture. */
function pasteDelta(picture: Tensor, animated: Tensor, box: CropBox, options: PasteOptions) {
  const [height, width] = [picture.size(1), picture.size(2)];
  const [h, w] = [animated.size(1), animated.size(2)];
  const { step, firstX, firstY } = cropGeometry(box, { width: w, height: h });
  const [x0, x1] = coveredRange(firstX, step, w, width);
  const [y0, y1] = coveredRange(firstY, step, h, height);
  if (x1 <= x0 || y1 <= y0) return undefined;
  // Picture pixel x sits at crop position (x - firstX) / step: the inverse mapping.
  const device = { device: picture.device };
  const rows = torch.fromArray(resampleMatrix(y1 - y0, h, (y0 - firstY) / step, 1 / step), [y1 - y0, h], device);
  const cols = torch.fromArray(resampleMatrix(x1 - x0, w, (x0 - firstX) / step, 1 / step), [x1 - x0, w], device);
  const back = rows.matmul(animated.to(picture.device)).matmul(cols.transpose(0, 1)); // (3, y1-y0, x1-x0)
  const profile = (from: number, count: number, first: number, pixels: number) =>
    Float32Array.from({ length: count }, (_, i) =>
      featherProfile(((from + i - first) / step + 0.5) / pixels, options.feather, options.inset),
    );
  const mask = torch
    .fromArray(profile(y0, y1 - y0, firstY, h), [y1 - y0, 1], device)
    .mul(torch.fromArray(profile(x0, x1 - x0, firstX, w), [1, x1 - x0], device)); // (y1-y0, x1-x0)
  const region = picture.narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0);
  return { delta: back.sub(region).mul(mask.unsqueeze(0)), x0, x1, y0, y1 }; // delta exactly 0 where the mask is
}

/**
 * source (3, H, W) in [0, 1] (or planar RGB), animated (3, h, w): the crop of `box` at the model's
 * size, animated -> (3, H, W): `source + mask * (animated mapped back - source)`, the mask the
 * product of featherProfile across and down the crop. Outside the box, and wherever the mask is
 * 0, the result is the source exactly. Belongs to the caller's scope.
 */
export function pasteBack(source: Tensor | RgbImage, animated: Tensor, box: CropBox, options: PasteOptions = {}): Tensor {
  return torch.tidy(() => {
    const picture = asTensor(source);
    const paste = pasteDelta(picture, animated, box, options);
    if (!paste) return picture.clone();
    const { delta, x0, x1, y0, y1 } = paste;
    return picture.add(torch.F.pad(delta, [x0, picture.size(2) - x1, y0, picture.size(1) - y1]));
  });
}

/** pasteBack for planar RGB pictures (a new picture; the source is not changed). Only the covered region is computed in libtorch; the rest is the source's array copied. */
export function pasteBackImage(source: RgbImage, animated: RgbImage, box: CropBox, options: PasteOptions = {}): RgbImage {
  const out = source.data.slice();
  torch.tidy(() => {
    const paste = pasteDelta(asTensor(source), asTensor(animated), box, options);
    if (!paste) return;
    const { x0, x1, y0, y1 } = paste;
    const delta = paste.delta.contiguous().data<"float32">();
    const [rw, rh, plane] = [x1 - x0, y1 - y0, source.width * source.height];
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < rh; y++) {
        const o = c * plane + (y0 + y) * source.width + x0;
        const d = (c * rh + y) * rw;
        for (let x = 0; x < rw; x++) out[o + x] += delta[d + x];
      }
    }
  });
  return { data: out, width: source.width, height: source.height };
}
