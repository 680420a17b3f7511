// face-api's input pipeline for image tensors (NetInput.toBatchTensor): pad the image with black
// to a square (centred for the landmark and recognition nets, bottom/right for the detector), then
// tf.image.resizeBilinear to the net's size with TF's legacy sampling (alignCorners false,
// halfPixelCenters false: output pixel i reads input position i * in / out, clamped at the last
// row). Both steps are linear along each axis, so they are done as one (out, in) matrix per axis.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";

/** Where an image sits in the square the net saw, in the image's own pixels. */
export interface SquareGeometry {
  /** Side of the padded square: max(H, W). */
  side: number;
  /** Black columns added left of the image / rows added above it. */
  padLeft: number;
  padTop: number;
}

/**
 * The padding face-api's padToSquare adds before the image on an axis that is `diff` pixels short:
 * centred puts round(diff / 2) after and the remainder before; otherwise everything goes after.
 */
export function padBefore(diff: number, centred: boolean): number {
  return centred ? diff - Math.round(diff / 2) : 0;
}

/**
 * (out, length) matrix: pad an axis of `length` pixels with `before` zeros in front (and zeros
 * after, up to `side`), then resize `side` -> `out` as TF's legacy bilinear resize does.
 */
export function resizeMatrix(length: number, before: number, side: number, out: number): Float32Array {
  const m = new Float32Array(out * length);
  const ratio = side / out;
  const add = (row: number, index: number, weight: number) => {
    const col = index - before;
    if (col >= 0 && col < length && weight !== 0) m[row * length + col] += weight;
  };
  for (let i = 0; i < out; i++) {
    const source = i * ratio;
    const lo = Math.floor(source);
    const hi = Math.min(lo + 1, side - 1);
    const frac = source - lo;
    add(i, lo, 1 - frac);
    add(i, hi, frac);
  }
  return m;
}

/**
 * images (B, 3, H, W) in [0, 1] -> the net's input (B, 3, size, size) in [0, 255] (padded with 0)
 * and where the image sits in the square.
 */
export function toSquareInput(images: Tensor, size: number, centred: boolean): { input: Tensor; geometry: SquareGeometry } {
  if (images.ndim !== 4 || images.size(1) !== 3) throw new RangeError(`face-api: expected images (B, 3, H, W), got [${images.shape}]`);
  const [height, width] = [images.size(2), images.size(3)];
  const side = Math.max(height, width);
  const geometry = { side, padLeft: padBefore(side - width, centred), padTop: padBefore(side - height, centred) };
  const input = torch.tidy(() => {
    const options = { device: images.device };
    const rows = torch.fromArray(resizeMatrix(height, geometry.padTop, side, size), [size, height], options);
    const cols = torch.fromArray(resizeMatrix(width, geometry.padLeft, side, size), [size, width], options).transpose(0, 1);
    return rows.matmul(images.mul(255)).matmul(cols); // (B, 3, size, size)
  });
  return { input, geometry };
}

/** x (B, 3, h, w) in [0, 255] -> (x - mean) / divisor per RGB channel (face-api's normalize). */
export function normalizeRgb(x: Tensor, mean: readonly [number, number, number], divisor: number): Tensor {
  return torch.tidy(() => x.sub(torch.tensor([...mean], { device: x.device }).view(1, 3, 1, 1)).div(divisor));
}
