// Cutting a square box out of a picture at the model's frame size: one anti-aliased resampling
// matrix per axis (resample.ts), the picture's border repeated where the box reaches past it.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { RgbImage } from "../media/image.js";
import type { CropBox } from "./box.js";
import { resampleMatrix, tapRange } from "./resample.js";

/** A frame size in pixels. */
export interface CropSize {
  width: number;
  height: number;
}

/** The pixels of `box` in a picture, mapped to a `size` frame: pixel (i, j) of the frame reads the picture at (first + i * step, ...) (pixel centres). */
export function cropGeometry(box: CropBox, size: CropSize) {
  // The box's width is its side; a non-square frame keeps square pixels, so its height is side * h / w.
  const step = box.side / size.width;
  const left = box.cx - box.side / 2;
  const top = box.cy - (step * size.height) / 2;
  return { step, firstX: left + step / 2 - 0.5, firstY: top + step / 2 - 0.5 };
}

/** An image as a (3, H, W) tensor (planar RGB is copied; a tensor is returned as is). */
export function asTensor(image: Tensor | RgbImage, device: torch.Device = "cpu"): Tensor {
  return image instanceof torch.Tensor ? image : torch.fromArray(image.data, [3, image.height, image.width], { device });
}

/**
 * image (3, H, W) in [0, 1] (or planar RGB) -> (3, size.height, size.width): the square `box`
 * resized with anti-aliasing, the picture's edge pixels repeated outside it. The result belongs to
 * the caller's scope.
 */
export function cropForModel(image: Tensor | RgbImage, box: CropBox, size: CropSize): Tensor {
  if (!(box.side > 0) || !Number.isFinite(box.cx) || !Number.isFinite(box.cy))
    throw new RangeError(`cropForModel: invalid box ${JSON.stringify(box)}`);
  return torch.tidy(() => {
    const picture = asTensor(image);
    const [height, width] = [picture.size(1), picture.size(2)];
    const { step, firstX, firstY } = cropGeometry(box, size);
    const [x0, x1] = tapRange(size.width, firstX, step, width);
    const [y0, y1] = tapRange(size.height, firstY, step, height);
    const device = { device: picture.device };
    const rows = torch.fromArray(resampleMatrix(size.height, y1 - y0, firstY, step, y0), [size.height, y1 - y0], device);
    const cols = torch.fromArray(resampleMatrix(size.width, x1 - x0, firstX, step, x0), [size.width, x1 - x0], device);
    const region = picture.narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0); // (3, h', w')
    return rows.matmul(region).matmul(cols.transpose(0, 1)); // (3, size.height, size.width)
  });
}
