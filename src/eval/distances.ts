// The two distribution metrics of a task, FID (Inception-v3 pool3 features) and FD-synth (the
// synthetic identity oracle's features): the generated frames' feature moments, the real set's
// (computed once per run and shared through ReferenceStats), and the Frechet distance between them.
import type { Tensor } from "../torch/index.js";
import type { InceptionV3Features } from "./metrics/index.js";
import type { MetricKey } from "./columns.js";
import type { EmbeddingJudge } from "./detectors.js";
import { FeatureMoments } from "./moments.js";
import { distanceResult, ReferenceStats, type EvaluationSuite, type MetricResult } from "./results.js";
import { poolFeatures, type Timings } from "./scoring.js";

type DistanceKey = "fid" | "fdSynth";
const LABELS: Record<DistanceKey, string> = { fid: "FID", fdSynth: "FD-synth" };

interface Space {
  key: DistanceKey;
  net: InceptionV3Features | EmbeddingJudge;
  /** Names the real set in ReferenceStats. */
  referenceKey: string;
  generated: FeatureMoments;
  /** Undefined when the reference already holds the real set's statistics. */
  real?: FeatureMoments;
}

export class DistanceSets {
  readonly #spaces: Space[] = [];
  readonly #reference: ReferenceStats;
  readonly #ownsReference: boolean;

  /**
   * The spaces among `metrics` that `suite` can measure; `realSet` names the real frames (task,
   * size, frame cap), so that checkpoints sharing `reference` compute them once.
   */
  constructor(
    suite: EvaluationSuite,
    metrics: ReadonlySet<MetricKey>,
    realSet: string,
    reference: ReferenceStats | undefined,
    readonly timings?: Timings,
  ) {
    this.#ownsReference = reference === undefined;
    this.#reference = reference ?? new ReferenceStats();
    const nets: [DistanceKey, InceptionV3Features | EmbeddingJudge | undefined][] = [
      ["fid", suite.networks.inception],
      ["fdSynth", suite.judges.fdSynth],
    ];
    for (const [key, net] of nets) {
      if (!metrics.has(key) || net === undefined) continue;
      const referenceKey = `${key} ${realSet}`;
      this.#spaces.push({
        key,
        net,
        referenceKey,
        generated: new FeatureMoments(),
        ...(this.#reference.get(referenceKey) ? {} : { real: new FeatureMoments() }),
      });
    }
  }

  /** Whether the real frames are still needed (some space lacks their statistics). */
  get needsReal(): boolean {
    return this.#spaces.some((s) => s.real !== undefined);
  }

  /** Adds generated frames (B, 3, H, W). */
  addGenerated(frames: Tensor): void {
    for (const s of this.#spaces) poolFeatures(s.generated, s.net, frames, `${s.key} features`, this.timings);
  }

  /** Adds real frames (B, 3, H, W), where still needed. */
  addReal(frames: Tensor): void {
    for (const s of this.#spaces) if (s.real) poolFeatures(s.real, s.net, frames, `${s.key} features (real)`, this.timings);
  }

  /** Keeps the real sets' statistics in the reference and gives each space's distance. */
  results(): Partial<Record<MetricKey, MetricResult>> {
    const results: Partial<Record<MetricKey, MetricResult>> = {};
    for (const s of this.#spaces) {
      if (s.real && s.real.count >= 2) this.#reference.set(s.referenceKey, s.real);
      results[s.key] = distanceResult(s.generated, this.#reference.get(s.referenceKey), LABELS[s.key], this.timings);
    }
    return results;
  }

  dispose(): void {
    for (const s of this.#spaces) [s.generated, s.real].forEach((m) => m?.dispose());
    if (this.#ownsReference) this.#reference.dispose();
  }
}
