// Video reconstruction (paper section 4.1, DESIGN section 7; FOMM's reconstruction protocol): each
// test video animates its own first frame. The source is frame 0, the references are `refs` other
// frames of the same video drawn with a fixed seed, and every frame of the video drives, with the
// driving keypoints used as they are (absolute motion, as FOMM's reconstruction does). The model
// should then give back the video; how far it is from it measures the model.
import * as torch from "../torch/index.js";
import type { Device, Precision, Tensor } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { OdeSettings } from "../dime/motion_ode.js";
import type { VideoEntry } from "../data/layout.js";
import type { RgbImage } from "../media/image.js";
import type { MediaInfo } from "../media/info.js";
import { probeMedia } from "../media/probe.js";
import { readFrames } from "../media/video-read.js";
import { Rng } from "../util/prng.js";
import { inferIn } from "../infer/precision.js";

/** The frame size the model works at. */
export interface ReconstructionSize {
  width: number;
  height: number;
}

export interface ReconstructionOptions {
  /** Reference frames per video (default: the model's switches.num_refs). */
  refs?: number;
  /** Seeds the choice of reference frames (default 0); the same seed picks the same frames. */
  seed?: number;
  /** Driving frames per batch (default 8). */
  batch?: number;
  /** Default: where the model's parameters are. */
  device?: Device;
  /** The MotionODE's solver and steps (default: the model's config). */
  ode?: Partial<OdeSettings>;
  /** fp32 (default), or bf16/fp16 through autocast (infer/precision.ts); metrics stay fp32. */
  precision?: Precision;
}

/** One batch of a reconstructed video. Its tensors are freed when the consumer asks for the next batch. */
export interface ReconstructionBatch {
  /** Index of the batch's first frame in the video. */
  start: number;
  /** The real frames, (B, 3, H, W) in [0, 1]. */
  driving: Tensor;
  /** The model's frames, (B, 3, H, W). */
  prediction: Tensor;
  /** The source (frame 0), (1, 3, H, W). */
  source: Tensor;
  /** The driving frames' keypoints, (B, K, 2) in [-1, 1]. */
  kpDriving: Tensor;
}

/**
 * The reference frames of a video of `frameCount` frames: `count` distinct frames other than frame
 * 0, drawn uniformly with a stream named by `seed` and the video's name, in ascending order. A
 * video with fewer other frames gives all of them.
 */
export function referenceFrames(name: string, frameCount: number, count: number, seed = 0): number[] {
  const pool = Array.from({ length: Math.max(0, frameCount - 1) }, (_, i) => i + 1);
  const order = Rng.from(seed, "reconstruction references", name).permutation(pool.length);
  return order
    .slice(0, Math.min(count, pool.length))
    .map((i) => pool[i])
    .sort((a, b) => a - b);
}

/** Frame `index` of a video at the model's size (scaled to cover, center-cropped). */
async function readFrame(video: VideoEntry, info: MediaInfo, index: number, size: ReconstructionSize): Promise<RgbImage> {
  for await (const frame of readFrames(video.path, { start: index, end: index + 1, fit: { ...size, crop: "center" }, info }))
    return frame.image;
  throw new RangeError(`${video.path}: has no frame ${index}`);
}

function imageTensor(image: RgbImage, device: Device): Tensor {
  return torch.fromArray(image.data, [1, 3, image.height, image.width], { device });
}

/**
 * Reconstructs one video, batch by batch, in inference mode.
 * Each yielded batch's tensors live until the generator resumes: `torch.keep(t.clone())` to hold one.
 */
export async function* reconstructVideo(
  model: DiME,
  video: VideoEntry,
  size: ReconstructionSize,
  options: ReconstructionOptions = {},
): AsyncGenerator<ReconstructionBatch> {
  const batchSize = options.batch ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch must be a positive integer, got ${batchSize}`);
  model.eval();
  const device = options.device ?? model.parameters()[0].device;
  const refIndices = referenceFrames(video.name, video.frameCount, options.refs ?? model.params.switches.num_refs, options.seed ?? 0);
  const info = await probeMedia(video.path); // once: the stills and the driving pass all read this video
  const stills = [await readFrame(video, info, 0, size)];
  for (const index of refIndices) stills.push(await readFrame(video, info, index, size));

  const precision = options.precision;
  const { source, prepared } = torch.tidy(() =>
    inferIn(device, precision, () => {
      const [source, ...references] = stills.map((s) => imageTensor(s, device)); // each (1, 3, H, W)
      return { source, prepared: model.prepare(source, references) };
    }),
  );
  const jacobians = model.params.switches.jacobians;
  let pending: Tensor[] = [];
  let start = 0;
  let frames: RgbImage[] = [];
  const run = (): ReconstructionBatch =>
    inferIn(device, precision, () =>
      torch.tidy(() => {
        const driving = torch.cat(
          frames.map((f) => imageTensor(f, device)),
          0,
        ); // (B, 3, H, W)
        const kpDriving = model.keypoints(driving, jacobians);
        const prediction = model.animateFrame(prepared, kpDriving, options.ode ? { ode: options.ode } : {}).prediction;
        return { start, driving, prediction, source, kpDriving: kpDriving.value };
      }),
    );
  try {
    for await (const frame of readFrames(video.path, { fit: { ...size, crop: "center" }, info })) {
      frames.push(frame.image);
      if (frames.length < batchSize) continue;
      const batch = run();
      pending = [batch.driving, batch.prediction, batch.kpDriving];
      yield batch;
      torch.dispose(pending);
      pending = [];
      start += frames.length;
      frames = [];
    }
    if (frames.length > 0) {
      const batch = run();
      pending = [batch.driving, batch.prediction, batch.kpDriving];
      yield batch;
    }
  } finally {
    torch.dispose(pending);
    torch.dispose(prepared);
    source.dispose();
  }
}
