// Per-frame means (FOMM's and the paper's convention): every metric is computed per generated
// frame, and a test set's figure is the mean over all its frames, all videos (or pairs) pooled, so
// a long video weighs more than a short one. A frame whose value is NaN (AKD with no landmark
// counted) is left out and counted as skipped; an infinite value (PSNR of a perfect frame) makes
// the mean infinite, as it would be in numpy.
import type { MetricKey } from "./columns.js";

/** A metric's mean over frames: its value, the frames it averages, and the frames left out. */
export interface FrameMean {
  /** null when no frame had a value. */
  value: number | null;
  frames: number;
  skipped: number;
}

export class FrameMeans {
  readonly #sums = new Map<MetricKey, { sum: number; frames: number; skipped: number }>();

  /** Adds one value per frame. */
  add(metric: MetricKey, values: ArrayLike<number>): void {
    const entry = this.#sums.get(metric) ?? { sum: 0, frames: 0, skipped: 0 };
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isNaN(v)) entry.skipped++;
      else [entry.sum, entry.frames] = [entry.sum + v, entry.frames + 1];
    }
    this.#sums.set(metric, entry);
  }

  /** Adds another set's frames (e.g. one video's into the whole test set's). */
  merge(other: FrameMeans): void {
    for (const [metric, o] of other.#sums) {
      const entry = this.#sums.get(metric) ?? { sum: 0, frames: 0, skipped: 0 };
      this.#sums.set(metric, { sum: entry.sum + o.sum, frames: entry.frames + o.frames, skipped: entry.skipped + o.skipped });
    }
  }

  /** The metrics with at least one frame added (counted or skipped). */
  metrics(): MetricKey[] {
    return [...this.#sums.keys()];
  }

  mean(metric: MetricKey): FrameMean {
    const entry = this.#sums.get(metric);
    if (entry === undefined) return { value: null, frames: 0, skipped: 0 };
    return { value: entry.frames > 0 ? entry.sum / entry.frames : null, frames: entry.frames, skipped: entry.skipped };
  }
}
