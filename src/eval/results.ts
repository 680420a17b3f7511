// What an evaluation of one model on one task gives back, and the pieces both tasks share: the
// suite of networks and judges, the real-set feature statistics reused by every checkpoint of a
// run, and turning per-frame means and feature moments into the table's numbers.
import * as torch from "../torch/index.js";
import { frechetDistance, type FeatureStats } from "./metrics/index.js";
import type { FrameMeans } from "./accumulate.js";
import { taskColumns, type EvalTask, type MetricKey } from "./columns.js";
import type { Judges } from "./detectors.js";
import type { FeatureMoments } from "./moments.js";
import type { MetricNetworks } from "./networks.js";
import type { ReconstructionOptions } from "./reconstruction.js";
import { timed, type Timings } from "./scoring.js";

/** The networks and judges an evaluation scores with (networks.ts, detectors.ts). */
export interface EvaluationSuite {
  networks: MetricNetworks;
  judges: Judges;
  /** The data's synthetic kind; undefined for real data. */
  kind?: string;
}

/** One metric of one model: its value, or why there is none. */
export interface MetricResult {
  /** The mean over frames (per-frame metrics) or the distance (FID, FD-synth); null when unavailable. */
  value: number | null;
  /** Frames averaged (per-frame metrics) or generated frames compared (FID, FD-synth). */
  frames?: number;
  /** Frames left out of a per-frame mean (AKD: no landmark counted). */
  skipped?: number;
  /** Real frames the distance is measured against (FID, FD-synth). */
  realFrames?: number;
  unavailable?: string;
}

/** One video (reconstruction) or pair (animation): its per-frame means. */
export interface PartResult {
  /** The video's name, or "SOURCE <- DRIVING". */
  name: string;
  frames: number;
  metrics: Partial<Record<MetricKey, number | null>>;
}

export interface TaskResult {
  task: EvalTask;
  /** Generated frames. */
  frames: number;
  seconds: number;
  /** Reference frames per source. */
  refs: number;
  metrics: Partial<Record<MetricKey, MetricResult>>;
  parts: PartResult[];
}

/** How a task is run: as a reconstruction (references, seed, batch, device, ODE, precision), and what the scoring adds. */
export interface EvaluateOptions extends ReconstructionOptions {
  /** Animation: driving frames per pair (default all). */
  frames?: number;
  /** After each batch: generated frames so far and what is being done. */
  onFrames?: (done: number, label: string) => void;
  /** The real sets' statistics, shared by the checkpoints of one run (the first fills it). */
  reference?: ReferenceStats;
  /** Collects ms per stage (dime bench eval). */
  timings?: Timings;
}

/** Feature statistics of real frame sets, by a key naming the set and the feature space. */
export class ReferenceStats {
  readonly #stats = new Map<string, FeatureStats & { count: number }>();
  get(key: string): (FeatureStats & { count: number }) | undefined {
    return this.#stats.get(key);
  }
  /** Stores `moments`' statistics under `key` (the caller keeps `moments`). */
  set(key: string, moments: FeatureMoments): void {
    this.#stats.set(key, torch.keep({ ...moments.stats(), count: moments.count }));
  }
  dispose(): void {
    for (const stats of this.#stats.values()) torch.dispose([stats.mu, stats.sigma]);
    this.#stats.clear();
  }
}

/** The metrics a task can compute with `suite` (its columns minus the unavailable), and the reasons for the others. */
export function availableMetrics(
  task: EvalTask,
  suite: EvaluationSuite,
  size: { width: number; height: number },
): { columns: MetricKey[]; metrics: Set<MetricKey>; unavailable: Map<MetricKey, string> } {
  const unavailable = new Map<MetricKey, string>();
  const side = Math.min(size.width, size.height);
  const reasons: Partial<Record<MetricKey, string | undefined>> = {
    lpips:
      suite.networks.unavailable.lpips ??
      (suite.networks.lpips && side < suite.networks.lpips.spec.minSize
        ? `${size.width}x${size.height} frames are smaller than LPIPS ${suite.networks.lpips.net} takes (${suite.networks.lpips.spec.minSize} px)`
        : undefined),
    fid: suite.networks.unavailable.fid,
    ssim: side < 11 ? `${size.width}x${size.height} frames are smaller than SSIM's 11x11 window` : undefined,
    sharpness: side < 3 ? `${size.width}x${size.height} frames are smaller than the Laplacian's 3x3 kernel` : undefined,
    msSsim: side < 33 ? `${size.width}x${size.height} frames are too small for MS-SSIM's five scales (33 px at least)` : undefined,
    akd: suite.judges.unavailable.akd,
    csim: suite.judges.unavailable.csim,
    fdSynth: suite.judges.unavailable.fdSynth,
  };
  const metrics = new Set<MetricKey>();
  const columns = taskColumns(task, suite.kind !== undefined);
  for (const key of columns) {
    const reason = reasons[key];
    if (reason === undefined) metrics.add(key);
    else unavailable.set(key, reason);
  }
  return { columns, metrics, unavailable };
}

/** `results` in the columns' order, the unavailable ones with their reasons. */
export function columnResults(
  columns: readonly MetricKey[],
  unavailable: ReadonlyMap<MetricKey, string>,
  results: Partial<Record<MetricKey, MetricResult>>,
): Partial<Record<MetricKey, MetricResult>> {
  const ordered: Partial<Record<MetricKey, MetricResult>> = {};
  for (const key of columns) {
    const reason = unavailable.get(key);
    const result = reason !== undefined ? { value: null, unavailable: reason } : results[key];
    if (result !== undefined) ordered[key] = result;
  }
  return ordered;
}

/** The Frechet distance of generated frames' moments from a real set's statistics, as a MetricResult. */
export function distanceResult(
  generated: FeatureMoments,
  real: (FeatureStats & { count: number }) | undefined,
  what: string,
  timings?: Timings,
): MetricResult {
  if (real === undefined || real.count < 2 || generated.count < 2) {
    return {
      value: null,
      unavailable: `${what} needs at least 2 real and 2 generated frames, got ${real?.count ?? 0} and ${generated.count}`,
    };
  }
  const value = timed(timings, `${what} distance`, () =>
    torch.tidy(() => {
      const stats = generated.stats();
      return frechetDistance(real.mu, real.sigma, stats.mu, stats.sigma);
    }),
  );
  return { value, frames: generated.count, realFrames: real.count };
}

/** A per-frame metric's mean as a MetricResult. */
export function meanResult(means: FrameMeans, key: MetricKey): MetricResult {
  const { value, frames, skipped } = means.mean(key);
  return { value, frames, ...(skipped > 0 ? { skipped } : {}) };
}

/** A part's per-frame means, for the per-video / per-pair lists. */
export function partMeans(means: FrameMeans, keys: Iterable<MetricKey>): Partial<Record<MetricKey, number | null>> {
  const out: Partial<Record<MetricKey, number | null>> = {};
  for (const key of keys) out[key] = means.mean(key).value;
  return out;
}
