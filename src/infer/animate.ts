// Animation (DESIGN section 6): a source image, and any number of reference views of the same
// object, moved like a driving video. The per-job work (keypoints, motion-resolution images and
// encoder features of the views) is done once; driving frames then go through in batches, each in
// inference mode inside one tidy() scope, and every output frame is handed on as soon as its batch
// is done, so memory does not grow with the video's length.
import * as torch from "../torch/index.js";
import type { Device, Precision, Tensor } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { PreparedViews } from "../dime/animator.js";
import type { Keypoints } from "../dime/keypoint_detector.js";
import type { OdeSettings } from "../dime/motion_ode.js";
import type { RgbImage } from "../media/image.js";
import { OneEuroFilter, type OneEuroParams } from "../face/one-euro.js";
import type { MediaInfo } from "../media/info.js";
import { probeMedia } from "../media/probe.js";
import { batches, drivingFrames, readStill, toTensor, toTensorBatch, type DrivingInput, type FrameInput } from "./frames.js";
import { bestFrame, movementScale, targetKeypoints, type MotionMode } from "./motion.js";
import { inferIn } from "./precision.js";
import { autoBatch } from "./batch-size.js";
import type { FrameSize } from "./model.js";

export interface AnimationOptions {
  /** "relative" (default) or "absolute"; see motion.ts. */
  mode?: MotionMode;
  /** Relative mode: scale the driving motion by sqrt(hull area of kp_S / hull area of kp_D(0)). */
  adaptScale?: boolean;
  /**
   * Relative mode: start from the driving frame whose keypoints look most like the source's,
   * instead of frame 0. Needs a first pass over the driving frames (keypoints only): a path is
   * decoded twice, an array iterated twice, any other iterable is held in memory.
   */
  findBestFrame?: boolean;
  /** The MotionODE's solver and step count (default: the model's config); fewer steps are faster. */
  ode?: Partial<OdeSettings>;
  /** Driving frames per batch (default: autoBatch for the frame size and device: batch-size.ts). */
  batch?: number;
  /** Where the work runs (default: where the model's parameters are). */
  device?: Device;
  /**
   * fp32 (default), or bf16/fp16 through autocast with fp32 islands (src/torch/autocast.ts); fp16
   * on CUDA only. Resolve "auto" with torch.resolvePrecision first.
   */
  precision?: Precision;
  /** Called after each batch of the best-frame search, with the frames searched so far. */
  onSearch?: (framesSearched: number) => void;
  /**
   * Smooth the driving keypoints over time with a one-euro filter (face/one-euro.ts) before the
   * motion is computed; `rate` is the driving clip's frames per second. Jacobians are not filtered.
   */
  smooth?: { rate: number; params?: OneEuroParams };
}

export interface AnimationJob {
  /** The model; animate puts it in eval mode. */
  model: DiME;
  /**
   * The frame size to work at (LoadedModel.size). Files are resized to it with a center crop;
   * frames in memory must have it. Default: the source's own size.
   */
  size?: FrameSize;
  /** The picture to animate: an image file, or (3, H, W) in [0, 1]. */
  source: string | FrameInput;
  /** Other views of the source's object (0 or more), like the source. */
  references?: readonly (string | FrameInput)[];
  /** The motion: a video file, a frame folder, or (3, H, W) frames in memory. */
  driving: DrivingInput;
  /** What probeMedia said of `driving` when it is a path (the caller probed it already); else probed here, once. */
  drivingInfo?: MediaInfo;
  options?: AnimationOptions;
}

/** What the job settled before the first frame: the source at the model's size and the motion every frame is computed with. */
export interface AnimationPlan {
  /** The source at the model's frame size, (3, H, W). */
  source: RgbImage;
  mode: MotionMode;
  /** kp_S, (K, 2) flat. */
  kpSource: Float32Array;
  /** The driving frame relative motion starts from: 0, or the best frame. */
  initialFrame: number;
  /** The relative displacement's factor: 1, or the adapt-scale factor. */
  scale: number;
  /** Driving frames per batch: the option's, or the automatic choice. */
  batch: number;
}

export interface AnimatedFrame {
  /** The frame's index in the driving video. */
  index: number;
  /** The generated frame, (3, H, W). */
  image: RgbImage;
  /** The driving frame at the model's size, (3, H, W). */
  driving: RgbImage;
  /** kp_D(t), (K, 2) flat. */
  kpDriving: Float32Array;
  /** The keypoints the frame was generated toward, (K, 2) flat. */
  kpTarget: Float32Array;
  plan: AnimationPlan;
}

/** One frame's keypoints in JS: value (K, 2) and, for models with them, Jacobians (K, 2, 2). */
interface FrameKeypoints {
  value: Float32Array;
  jacobian?: Float32Array;
}

/**
 * Animates `job.source` with `job.driving`'s motion, yielding one frame per driving frame, in order.
 * @throws MediaError for files that cannot be read (no frames, not an image), RangeError for
 *   frames in memory of the wrong shape or size.
 */
export async function* animate(job: AnimationJob): AsyncGenerator<AnimatedFrame> {
  const options = job.options ?? {};
  if (options.batch !== undefined && !(Number.isInteger(options.batch) && options.batch >= 1))
    throw new RangeError(`batch must be a positive integer, got ${options.batch}`);
  const mode = options.mode ?? "relative";
  const { model } = job;
  model.eval();
  const device = options.device ?? model.parameters()[0].device;
  const precision = options.precision ?? "fp32";
  const problem = torch.precisionProblem(precision, device);
  if (problem) throw new RangeError(`precision: ${problem}`);
  const jacobians = model.params.switches.jacobians;

  const source = await readStill(job.source, job.size, "source");
  const size = job.size ?? { width: source.width, height: source.height };
  const references = await Promise.all((job.references ?? []).map((r, i) => readStill(r, size, `reference ${i}`)));
  const batchSize = options.batch ?? autoBatch(size, device);

  const drivingInfo = typeof job.driving === "string" ? (job.drivingInfo ?? (await probeMedia(job.driving))) : undefined;

  const prepared: PreparedViews = torch.tidy(() =>
    inferIn(device, precision, () =>
      model.prepare(
        toTensor(source, device).unsqueeze(0),
        references.map((r) => toTensor(r, device).unsqueeze(0)),
      ),
    ),
  );
  // kp_D(0) (1, K, 2) (and Jacobians), held as tensors from the batch that had it until the end.
  let initialKp: Keypoints | undefined;
  try {
    const kpSource = torch.tidy(() => framesOf(model.sourceKeypoints(prepared))[0]);
    let initial: FrameKeypoints | undefined;
    let initialFrame = 0;
    let driving = job.driving;
    if (options.findBestFrame && mode === "relative") {
      const search = await searchBestFrame(job, size, batchSize, device, kpSource.value, drivingInfo);
      initialFrame = search.index;
      initial = search.keypoints[search.index];
      // The search compared keypoints in JS; its best frame goes back to the device once.
      initialKp = keypointsTensor(initial, device);
      driving = search.replay;
    }
    let plan: AnimationPlan | undefined;
    let index = 0;
    const filter = options.smooth ? new OneEuroFilter(options.smooth.rate, options.smooth.params) : undefined;
    for await (const frames of batches(drivingFrames(driving, size, drivingInfo), batchSize)) {
      const out = inferIn(device, precision, () =>
        torch.tidy(() => {
          const images = toTensorBatch(frames, device); // (B, 3, H, W)
          const kpDriving = model.keypoints(images, jacobians);
          if (filter) kpDriving.value = smoothed(filter, kpDriving.value);
          const perFrame = framesOf(kpDriving);
          initial ??= perFrame[0];
          initialKp ??= torch.keep(firstFrame(kpDriving));
          plan ??= {
            source,
            mode,
            kpSource: kpSource.value,
            initialFrame,
            scale: options.adaptScale ? movementScale(kpSource.value, initial.value) : 1,
            batch: batchSize,
          };
          const target = targetKeypoints(model.sourceKeypoints(prepared), kpDriving, initialKp, plan);
          const prediction = model.animateFrame(prepared, target, options.ode ? { ode: options.ode } : {}).prediction; // (B, 3, H, W)
          const [predicted, targets] = torch.hostFloats([prediction, target.value]);
          return { prediction: predicted, target: targets, perFrame };
        }),
      );
      const [plane, k2] = [3 * size.width * size.height, kpSource.value.length];
      for (let b = 0; b < frames.length; b++) {
        yield {
          index: index++,
          image: { data: out.prediction.subarray(b * plane, (b + 1) * plane), width: size.width, height: size.height },
          driving: frames[b],
          kpDriving: out.perFrame[b].value,
          kpTarget: out.target.subarray(b * k2, (b + 1) * k2),
          plan: plan!,
        };
      }
    }
    if (index === 0) throw new RangeError("animate: the driving input holds no frames");
  } finally {
    torch.dispose(prepared);
    torch.dispose(initialKp);
  }
}

/** The first frame's keypoints (1, K, 2) (and Jacobians) of a batch's (B, K, 2). */
function firstFrame(kp: Keypoints): Keypoints {
  const first: Keypoints = { value: kp.value.narrow(0, 0, 1) };
  if (kp.jacobian) first.jacobian = kp.jacobian.narrow(0, 0, 1);
  return first;
}

/** kp (B, K, 2) through the filter frame by frame, in order -> (B, K, 2) on kp's device. */
function smoothed(filter: OneEuroFilter, kp: Tensor): Tensor {
  const [b, k] = [kp.size(0), kp.size(1)];
  const values = floats(kp);
  for (let i = 0; i < b; i++) values.set(filter.filter(values.subarray(i * 2 * k, (i + 1) * 2 * k)), i * 2 * k);
  return torch.fromArray(values, [b, k, 2], { device: kp.device });
}

/** A tensor's elements as float32 in JS (a copy). */
function floats(t: Tensor): Float32Array {
  return t.cpu().float().contiguous().data<"float32">();
}

/** Keypoints (B, K, 2) (and (B, K, 2, 2)) split into one JS record per frame. */
function framesOf(kp: Keypoints): FrameKeypoints[] {
  const value = floats(kp.value);
  const jacobian = kp.jacobian ? floats(kp.jacobian) : undefined;
  const b = kp.value.size(0);
  const [nv, nj] = [value.length / b, jacobian ? jacobian.length / b : 0];
  return Array.from({ length: b }, (_, i) => {
    const frame: FrameKeypoints = { value: value.slice(i * nv, (i + 1) * nv) };
    if (jacobian) frame.jacobian = jacobian.slice(i * nj, (i + 1) * nj);
    return frame;
  });
}

/** One frame's keypoints as (1, K, 2) tensors (and (1, K, 2, 2)). */
function keypointsTensor(frame: FrameKeypoints, device: Device): Keypoints {
  const k = frame.value.length / 2;
  const kp: Keypoints = { value: torch.fromArray(frame.value, [1, k, 2], { device }) };
  if (frame.jacobian) kp.jacobian = torch.fromArray(frame.jacobian, [1, k, 2, 2], { device });
  return kp;
}

/**
 * The first pass of find-best-frame: the keypoints of every driving frame, the best one's index,
 * and the driving frames to animate (the path or array again, or the frames held from this pass).
 *
 * FOMM's demo animates forward from the best frame and backward from it to the start, and joins
 * the two. Every frame's target depends only on kp_S, kp_D(t) and kp_D(best), never on the frames
 * around it, so one pass in order with kp_D(0) := kp_D(best) gives the same frames; it also streams.
 */
async function searchBestFrame(
  job: AnimationJob,
  size: FrameSize,
  batchSize: number,
  device: Device,
  kpSource: Float32Array,
  drivingInfo?: MediaInfo,
) {
  const keypoints: FrameKeypoints[] = [];
  const held: RgbImage[] = [];
  const replayable = typeof job.driving === "string" || Array.isArray(job.driving);
  for await (const frames of batches(drivingFrames(job.driving, size, drivingInfo), batchSize)) {
    if (!replayable) held.push(...frames);
    keypoints.push(
      ...inferIn(device, job.options?.precision, () =>
        torch.tidy(() => framesOf(job.model.keypoints(toTensorBatch(frames, device), job.model.params.switches.jacobians))),
      ),
    );
    job.options?.onSearch?.(keypoints.length);
  }
  const index = bestFrame(
    kpSource,
    keypoints.map((k) => k.value),
  );
  return { index, keypoints, replay: replayable ? job.driving : held };
}
