// Image animation (paper section 4.1, DESIGN section 7): a source video's first frame, with other
// frames of the same video as references, moved like a driving video of another identity, with
// relative motion (FOMM's animation protocol: kp_S + kp_D(t) - kp_D(0), no movement-scale
// adaptation, as FOMM's vox-256 and taichi-256 animate_params). The generated frames are then
// judged against the source (FID against the source video's frames, CSIM against the source
// image), since no ground truth exists.
import * as torch from "../torch/index.js";
import type { Device, Precision, Tensor } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { OdeSettings } from "../dime/motion_ode.js";
import type { VideoEntry } from "../data/layout.js";
import { animate } from "../infer/animate.js";
import type { RgbImage } from "../media/image.js";
import { readAllFrames, readFrames } from "../media/video-read.js";
import { referenceFrames, type ReconstructionSize } from "./reconstruction.js";

export interface AnimationPairOptions {
  /** Reference frames of the source video (default: the model's switches.num_refs). */
  refs?: number;
  /** Seeds the choice of reference frames (default 0), as in reconstruction. */
  seed?: number;
  /** Driving frames per batch (default 8). */
  batch?: number;
  /** Only the first `frames` driving frames (default: all). */
  frames?: number;
  /** Default: where the model's parameters are. */
  device?: Device;
  /** The MotionODE's solver and steps (default: the model's config). */
  ode?: Partial<OdeSettings>;
  /** fp32 (default), or bf16/fp16 through autocast (infer/precision.ts); metrics stay fp32. */
  precision?: Precision;
}

/** One batch of an animated pair. Its tensors are freed when the consumer asks for the next batch. */
export interface AnimationBatch {
  /** Index of the batch's first frame in the driving video. */
  start: number;
  /** The driving frames, (B, 3, H, W) in [0, 1]. */
  driving: Tensor;
  /** The generated frames, (B, 3, H, W). */
  prediction: Tensor;
  /** The source image (the source video's frame 0), (1, 3, H, W). */
  source: Tensor;
}

/** Frame `index` of a video at `size` (scaled to cover, center-cropped). */
export async function videoFrame(video: VideoEntry, index: number, size: ReconstructionSize): Promise<RgbImage> {
  return (await readAllFrames(video.path, { start: index, end: index + 1, fit: { ...size, crop: "center" } }))[0];
}

/** How many driving frames a pair animates: the driving video's, capped at `frames`. */
export function animatedFrameCount(driving: VideoEntry, frames?: number): number {
  return Math.min(driving.frameCount, frames ?? Infinity);
}

/** Consecutive frames as one (B, 3, H, W) tensor on `device`. */
export function imagesToTensor(images: readonly RgbImage[], device: Device): Tensor {
  const { width, height } = images[0];
  const plane = 3 * width * height;
  const data = new Float32Array(plane * images.length);
  images.forEach((image, b) => data.set(image.data, b * plane));
  return torch.fromArray(data, [images.length, 3, height, width], { device });
}

/**
 * Animates `source`'s first frame (with `refs` seeded other frames of it as references, the frames
 * reconstruction would draw for it) by `driving`'s motion, batch by batch, through animate().
 */
export async function* animatePair(
  model: DiME,
  source: VideoEntry,
  driving: VideoEntry,
  size: ReconstructionSize,
  options: AnimationPairOptions = {},
): AsyncGenerator<AnimationBatch> {
  const batchSize = options.batch ?? 8;
  const device = options.device ?? model.parameters()[0].device;
  const refIndices = referenceFrames(source.name, source.frameCount, options.refs ?? model.params.switches.num_refs, options.seed ?? 0);
  const sourceImage = await videoFrame(source, 0, size);
  const references = await Promise.all(refIndices.map((index) => videoFrame(source, index, size)));
  const count = animatedFrameCount(driving, options.frames);
  async function* drivingImages(): AsyncGenerator<RgbImage> {
    for await (const frame of readFrames(driving.path, { end: count, fit: { ...size, crop: "center" } })) yield frame.image;
  }
  const sourceTensor = imagesToTensor([sourceImage], device); // (1, 3, H, W)
  let pending: Tensor[] = [];
  let [start, generated, real] = [0, [] as RgbImage[], [] as RgbImage[]];
  const flush = (): AnimationBatch => {
    const batch = { start, driving: imagesToTensor(real, device), prediction: imagesToTensor(generated, device), source: sourceTensor };
    pending = [batch.driving, batch.prediction];
    start += real.length;
    [generated, real] = [[], []];
    return batch;
  };
  try {
    const frames = animate({
      model,
      size,
      source: sourceImage,
      references,
      driving: drivingImages(),
      options: {
        mode: "relative",
        batch: batchSize,
        ...(options.device ? { device: options.device } : {}),
        ...(options.ode ? { ode: options.ode } : {}),
        ...(options.precision ? { precision: options.precision } : {}),
      },
    });
    for await (const frame of frames) {
      generated.push(frame.image);
      real.push(frame.driving);
      if (real.length < batchSize) continue;
      yield flush();
      torch.dispose(pending);
      pending = [];
    }
    if (real.length > 0) yield flush();
  } finally {
    torch.dispose(pending);
    sourceTensor.dispose();
  }
}
