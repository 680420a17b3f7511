// One batch's per-frame scores, added to a FrameMeans: the image metrics of a generated frame
// against the real one (reconstruction), AKD between their landmarks, CSIM of the generated frames
// against the source image (animation), and the features FID and FD-synth pool. Every metric runs
// in inference mode on the batch's device; only one number per frame comes back to JS.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import { akd, csim, l1, msSsim, psnr, sharpness, ssim, type InceptionV3Features, type Lpips } from "./metrics/index.js";
import type { FrameMeans } from "./accumulate.js";
import type { MetricKey } from "./columns.js";
import type { EmbeddingJudge, KeypointJudge } from "./detectors.js";
import type { FeatureMoments } from "./moments.js";

/** Milliseconds spent per stage, summed over batches (for dime bench eval); optional. */
export type Timings = Map<string, number>;

/** Runs `fn`, adding its wall time to `timings[stage]`. */
export function timed<T>(timings: Timings | undefined, stage: string, fn: () => T): T {
  if (timings === undefined) return fn();
  const start = performance.now();
  try {
    return fn();
  } finally {
    timings.set(stage, (timings.get(stage) ?? 0) + performance.now() - start);
  }
}

/** A (B) tensor's values in JS, as float64. */
function perFrame(values: Tensor): Float64Array {
  return torch.tidy(() => values.cpu().double().contiguous().data<"float64">());
}

/** Adds `metric`'s per-frame values, computed by `fn` in inference mode. */
function score(means: FrameMeans, metric: MetricKey, timings: Timings | undefined, fn: () => Tensor): void {
  means.add(
    metric,
    timed(timings, metric, () => torch.inferenceMode(() => torch.tidy(() => perFrame(fn())))),
  );
}

/**
 * L1, PSNR, SSIM, MS-SSIM, sharpness and (with a network) LPIPS of each generated frame against its real frame:
 * prediction, real (B, 3, H, W). `metrics` lists those to compute (the available ones).
 */
export function scoreImages(
  means: FrameMeans,
  prediction: Tensor,
  real: Tensor,
  metrics: ReadonlySet<MetricKey>,
  lpips?: Lpips,
  timings?: Timings,
): void {
  const fake = torch.tidy(() => prediction.clamp(0, 1)); // a sigmoid's output already; the checks want [0, 1] exactly
  try {
    if (metrics.has("l1")) score(means, "l1", timings, () => l1(fake, real));
    if (metrics.has("psnr")) score(means, "psnr", timings, () => psnr(fake, real));
    if (metrics.has("ssim")) score(means, "ssim", timings, () => ssim(fake, real));
    if (metrics.has("msSsim")) score(means, "msSsim", timings, () => msSsim(fake, real));
    if (metrics.has("sharpness")) score(means, "sharpness", timings, () => sharpness(fake, real));
    if (metrics.has("lpips") && lpips) score(means, "lpips", timings, () => lpips.forward(fake, real));
  } finally {
    fake.dispose();
  }
}

/**
 * AKD of each frame: the judge's landmarks on the generated and the real frame, in pixels of the
 * frame (H, W). `visible` (B, K) bool or 0/1 selects the landmarks that count (ground truth);
 * a frame with none counted is NaN (skipped by the mean).
 */
export function scoreKeypoints(
  means: FrameMeans,
  judge: KeypointJudge,
  prediction: Tensor,
  real: Tensor,
  visible?: Tensor,
  timings?: Timings,
): void {
  score(means, "akd", timings, () => {
    const size: [number, number] = [real.size(2), real.size(3)];
    const fake = judge.detect(prediction.clamp(0, 1));
    return akd(fake, judge.detect(real), size, { coords: judge.coords, ...(visible ? { visible } : {}) });
  });
}

/** CSIM of each generated frame (B, 3, H, W) against the source's embedding (1, D). */
export function scoreIdentity(
  means: FrameMeans,
  judge: EmbeddingJudge,
  prediction: Tensor,
  sourceEmbedding: Tensor,
  timings?: Timings,
): void {
  score(means, "csim", timings, () => {
    const embedding = judge.embed(prediction.clamp(0, 1)); // (B, D)
    return csim(embedding, sourceEmbedding.expand(embedding.size(0), -1));
  });
}

/** Adds frames' (B, 3, H, W) features to `moments`: Inception pool3 (FID) or an oracle's (FD-synth). */
export function poolFeatures(
  moments: FeatureMoments,
  net: InceptionV3Features | EmbeddingJudge,
  frames: Tensor,
  stage: string,
  timings?: Timings,
): void {
  timed(timings, stage, () =>
    torch.inferenceMode(() =>
      torch.tidy(() => {
        const images = frames.clamp(0, 1);
        moments.add("forward" in net ? net.forward(images) : net.embed(images));
      }),
    ),
  );
}
