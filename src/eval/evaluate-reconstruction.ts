// The reconstruction task's scores (paper Table 1, left): every test video reconstructed by the
// protocol of reconstruction.ts (frame 0 as source, seeded references, every frame driving), and
// each generated frame compared with the real one: L1, LPIPS, PSNR, SSIM, MS-SSIM and AKD per frame,
// averaged over all frames of all videos; FID (and FD-synth on synthetic data) between all
// generated frames and all real (driving) frames.
import * as torch from "../torch/index.js";
import type { Tensor } from "../torch/index.js";
import type { DiME } from "../dime/dime.js";
import type { VideoEntry } from "../data/layout.js";
import { MediaError } from "../media/errors.js";
import { FrameMeans } from "./accumulate.js";
import { reconstructVideo, type ReconstructionSize } from "./reconstruction.js";
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
import { scoreImages, scoreKeypoints } from "./scoring.js";
import type { EvalMeta } from "./video-meta.js";
import type { MetricKey } from "./columns.js";

const PER_FRAME: MetricKey[] = ["l1", "lpips", "psnr", "ssim", "msSsim", "akd"];

/** meta.json's visibility of frames start..start+count, (count, K) float32 on `like`'s device. */
function groundTruthVisible(meta: EvalMeta, video: VideoEntry, start: number, count: number, like: Tensor): Tensor {
  const rows = meta.visible.slice(start, start + count);
  const k = rows[0]?.length ?? 0;
  if (rows.length < count || rows.some((r) => r.length !== k)) {
    throw new MediaError(
      video.metaPath!,
      "corrupt",
      `holds visibility for ${meta.visible.length} frames, the video has at least ${start + count}: regenerate the dataset`,
    );
  }
  return torch.fromArray(Float32Array.from(rows.flat()), [count, k], { device: like.device });
}

/**
 * Scores `model` on the reconstruction of `videos` (with `metas[i]` the meta.json of video i on
 * synthetic data) at `size`. The real frames' FID / FD-synth statistics come from
 * `options.reference` when an earlier checkpoint filled it.
 */
export async function evaluateReconstruction(
  model: DiME,
  videos: readonly VideoEntry[],
  metas: readonly (EvalMeta | undefined)[],
  size: ReconstructionSize,
  suite: EvaluationSuite,
  options: EvaluateOptions = {},
): Promise<TaskResult> {
  const started = performance.now();
  const { columns, metrics, unavailable } = availableMetrics("reconstruction", suite, size);
  const timings = options.timings;
  const { lpips } = suite.networks;
  const akdJudge = suite.judges.akd;
  const distances = new DistanceSets(suite, metrics, `reconstruction ${size.width}x${size.height}`, options.reference, timings);
  const total = new FrameMeans();
  const parts: PartResult[] = [];
  let frames = 0;
  const refs = options.refs ?? model.params.switches.num_refs;
  try {
    for (const [v, video] of videos.entries()) {
      const means = new FrameMeans();
      let videoFrames = 0;
      for await (const batch of reconstructVideo(model, video, size, {
        refs,
        seed: options.seed,
        batch: options.batch,
        device: options.device,
        ode: options.ode,
        precision: options.precision,
      })) {
        const { prediction, driving } = batch;
        scoreImages(means, prediction, driving, metrics, lpips, timings);
        if (metrics.has("akd") && akdJudge) {
          const meta = metas[v];
          const visible =
            akdJudge.groundTruthVisibility && meta ? groundTruthVisible(meta, video, batch.start, driving.size(0), driving) : undefined;
          try {
            scoreKeypoints(means, akdJudge, prediction, driving, visible, timings);
          } finally {
            visible?.dispose();
          }
        }
        distances.addGenerated(prediction);
        distances.addReal(driving);
        videoFrames += driving.size(0);
        frames += driving.size(0);
        options.onFrames?.(frames, video.name);
      }
      parts.push({
        name: video.name,
        frames: videoFrames,
        metrics: partMeans(
          means,
          PER_FRAME.filter((k) => metrics.has(k)),
        ),
      });
      total.merge(means);
    }
    const results = distances.results();
    for (const key of PER_FRAME) if (metrics.has(key)) results[key] = meanResult(total, key);
    return {
      task: "reconstruction",
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
