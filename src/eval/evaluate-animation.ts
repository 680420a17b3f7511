// The animation task's scores (paper Table 1, right): each seeded pair (pairs.ts) animated by the
// protocol of animation.ts, then judged against the source, since no ground truth exists: CSIM,
// the cosine similarity of the identity embeddings of each generated frame and of the source image,
// averaged over all generated frames of all pairs; FID (and FD-synth on synthetic data) between all
// generated frames and the source videos' frames. DEVIATION: the paper says FID is "measured with
// respect to the source" without saying which frames; dime's real set is, for each pair, the source
// video's first N frames, N the frames the pair generates (all of them when the source is
// shorter), so the two sets are of one size and hold the same identities in the sources' own poses.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { VideoEntry } from "../data/layout.js";
import type { RgbImage } from "../media/image.js";
import { readFrames } from "../media/video-read.js";
import { FrameMeans } from "./accumulate.js";
import { animatedFrameCount, animatePair, imagesToTensor } from "./animation.js";
import type { AnimationPair } from "./pairs.js";
import type { ReconstructionSize } from "./reconstruction.js";
import { DistanceSets } from "./distances.js";
import {
  availableMetrics,
  columnResults,
  meanResult,
  partMeans,
  type EvaluateOptions,
  type EvaluationSuite,
  type PartResult,
  type TaskResult,
} from "./results.js";
import { scoreIdentity, timed } from "./scoring.js";

/** The name of a pair in reports: "SOURCE <- DRIVING". */
export function pairName(videos: readonly VideoEntry[], pair: AnimationPair): string {
  return `${videos[pair.source].name} <- ${videos[pair.driving].name}`;
}

/** The real frames a pair is compared with (its source video's first `count`), batch by batch. */
async function* sourceFrames(source: VideoEntry, count: number, size: ReconstructionSize, batch: number): AsyncGenerator<RgbImage[]> {
  let images: RgbImage[] = [];
  for await (const frame of readFrames(source.path, { end: Math.min(count, source.frameCount), fit: { ...size, crop: "center" } })) {
    images.push(frame.image);
    if (images.length < batch) continue;
    yield images;
    images = [];
  }
  if (images.length > 0) yield images;
}

/** Scores `model` on animating `pairs` of `videos` at `size`. */
export async function evaluateAnimation(
  model: DiME,
  videos: readonly VideoEntry[],
  pairs: readonly AnimationPair[],
  size: ReconstructionSize,
  suite: EvaluationSuite,
  options: EvaluateOptions = {},
): Promise<TaskResult> {
  const started = performance.now();
  const { columns, metrics, unavailable } = availableMetrics("animation", suite, size);
  const timings = options.timings;
  const identityJudge = suite.judges.csim;
  const distances = new DistanceSets(
    suite,
    metrics,
    `animation ${size.width}x${size.height} ${options.frames ?? "all"} frames`,
    options.reference,
    timings,
  );
  const batchSize = options.batch ?? 8;
  const device = options.device ?? model.parameters()[0].device;
  const refs = options.refs ?? model.params.switches.num_refs;
  const total = new FrameMeans();
  const parts: PartResult[] = [];
  let frames = 0;
  try {
    for (const pair of pairs) {
      const [source, driving] = [videos[pair.source], videos[pair.driving]];
      const count = animatedFrameCount(driving, options.frames);
      if (distances.needsReal) {
        for await (const images of sourceFrames(source, count, size, batchSize)) {
          const batch = imagesToTensor(images, device);
          try {
            distances.addReal(batch);
          } finally {
            batch.dispose();
          }
        }
      }
      const means = new FrameMeans();
      let pairFrames = 0;
      let sourceEmbedding: Tensor | undefined;
      try {
        for await (const batch of animatePair(model, source, driving, size, {
          refs,
          seed: options.seed,
          batch: batchSize,
          frames: options.frames,
          device: options.device,
          ode: options.ode,
          precision: options.precision,
        })) {
          if (metrics.has("csim") && identityJudge) {
            sourceEmbedding ??= timed(timings, "csim", () =>
              torch.keep(torch.inferenceMode(() => torch.tidy(() => identityJudge.embed(batch.source)))),
            );
            scoreIdentity(means, identityJudge, batch.prediction, sourceEmbedding, timings);
          }
          distances.addGenerated(batch.prediction);
          pairFrames += batch.prediction.size(0);
          frames += batch.prediction.size(0);
          options.onFrames?.(frames, pairName(videos, pair));
        }
      } finally {
        sourceEmbedding?.dispose();
      }
      parts.push({ name: pairName(videos, pair), frames: pairFrames, metrics: partMeans(means, metrics.has("csim") ? ["csim"] : []) });
      total.merge(means);
    }
    const results = distances.results();
    if (metrics.has("csim")) results.csim = meanResult(total, "csim");
    return {
      task: "animation",
      frames,
      seconds: (performance.now() - started) / 1000,
      refs,
      metrics: columnResults(columns, unavailable, results),
      parts,
    };
  } finally {
    distances.dispose();
  }
}
