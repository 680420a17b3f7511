// The inputs of an animation job brought to one form: stills (source, references) and driving
// frames as planar RGB at the model's frame size, read from files or taken as given, and driving
// frames grouped into batches. Files are resized with a center crop (media/fit.ts): the picture
// is scaled to cover the frame and the overflow of its long side cut evenly, as FOMM's demo
// expects square crops.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { readImage } from "../media/image-read.js";
import type { RgbImage } from "../media/image.js";
import type { MediaInfo } from "../media/info.js";
import { readFrames } from "../media/video-read.js";
import type { FrameSize } from "./model.js";

/** A picture in memory: a (3, H, W) float tensor in [0, 1], or planar RGB. */
export type FrameInput = Tensor | RgbImage;

/** Driving frames: a video file (any container ffmpeg reads), a frame folder, or frames in memory. */
export type DrivingInput = string | Iterable<FrameInput> | AsyncIterable<FrameInput>;

/** A (3, H, W) tensor as planar RGB (a copy); RgbImage passes through. */
export function toRgbImage(frame: FrameInput, what: string): RgbImage {
  if (!(frame instanceof torch.Tensor)) return frame;
  if (frame.ndim !== 3 || frame.size(0) !== 3)
    throw new RangeError(`${what}: expected a (3, H, W) tensor, got (${frame.shape.join(", ")})`);
  const data = torch.tidy(() => frame.detach().cpu().float().contiguous().data<"float32">());
  return { data, width: frame.size(2), height: frame.size(1) };
}

/** Planar RGB as a (3, H, W) float32 tensor on `device` (a copy). */
export function toTensor(image: RgbImage, device: torch.Device): Tensor {
  return torch.fromArray(image.data, [3, image.height, image.width], { device });
}

/**
 * Frames of one size as a (B, 3, H, W) float32 tensor on `device`, in one copy (to a GPU: one
 * pinned, non-blocking transfer for the batch rather than one per frame).
 */
export function toTensorBatch(images: readonly RgbImage[], device: torch.Device): Tensor {
  const [{ width, height }] = images;
  const plane = 3 * width * height;
  const data = new Float32Array(plane * images.length);
  images.forEach((image, i) => data.set(image.data, i * plane));
  return torch.fromArray(data, [images.length, 3, height, width], { device });
}

function checkSize(image: RgbImage, size: FrameSize, what: string): RgbImage {
  if (image.width !== size.width || image.height !== size.height) {
    throw new RangeError(
      `${what} is ${image.width}x${image.height}, the model works at ${size.width}x${size.height}: resize it first, or pass a file path`,
    );
  }
  return image;
}

/** A still from a file (read at `size`, center-cropped; at its own size without one) or memory (must be `size`). */
export async function readStill(input: string | FrameInput, size: FrameSize | undefined, what: string): Promise<RgbImage> {
  if (typeof input === "string") return readImage(input, size ? { fit: { ...size, crop: "center" } } : {});
  const image = toRgbImage(input, what);
  return size ? checkSize(image, size, what) : image;
}

/** The driving frames at `size`, in order. */
export async function* drivingFrames(driving: DrivingInput, size: FrameSize, info?: MediaInfo): AsyncGenerator<RgbImage> {
  if (typeof driving === "string") {
    for await (const frame of readFrames(driving, { fit: { ...size, crop: "center" }, info })) yield frame.image;
    return;
  }
  let index = 0;
  for await (const frame of driving) {
    const what = `driving frame ${index++}`;
    yield checkSize(toRgbImage(frame, what), size, what);
  }
}

/** Consecutive groups of up to `size` items. */
export async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
