// The one-euro filter (Casiez, Roussel and Vogel, CHI 2012): a low-pass filter whose cutoff rises
// with the signal's speed, so a still signal's jitter is removed and real motion passes with
// little lag. LivePortrait smooths its driving motion over time for the same reason (it uses a
// Kalman filter); dime filters the driving keypoints and the followed face box with this one.

export interface OneEuroParams {
  /** Cutoff in Hz when the signal is still: lower removes more jitter (default 0.5). */
  minCutoff?: number;
  /** How fast the cutoff rises with speed, in Hz per (unit per second) (default 5, for keypoints in [-1, 1]). */
  beta?: number;
  /** Cutoff of the speed estimate, Hz (default 1). */
  derivativeCutoff?: number;
}

const alpha = (cutoff: number, dt: number) => 1 / (1 + 1 / (2 * Math.PI * cutoff * dt));

/** A one-euro filter over vectors of a fixed length (each element filtered on its own). */
export class OneEuroFilter {
  private value?: Float64Array;
  private speed?: Float64Array;
  readonly minCutoff: number;
  readonly beta: number;
  readonly derivativeCutoff: number;

  /** `rate`: samples per second (a video's frame rate). */
  constructor(
    readonly rate: number,
    params: OneEuroParams = {},
  ) {
    this.minCutoff = params.minCutoff ?? 0.5;
    this.beta = params.beta ?? 5;
    this.derivativeCutoff = params.derivativeCutoff ?? 1;
    for (const [name, v] of [
      ["rate", rate],
      ["minCutoff", this.minCutoff],
      ["derivativeCutoff", this.derivativeCutoff],
    ] as const) {
      if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`OneEuroFilter: ${name} must be positive, got ${v}`);
    }
    if (!(this.beta >= 0)) throw new RangeError(`OneEuroFilter: beta must be >= 0, got ${this.beta}`);
  }

  /** Filters the next sample (in place into a new array; the first sample passes unchanged). */
  filter(sample: ArrayLike<number>): Float32Array {
    const out = new Float32Array(sample.length);
    const dt = 1 / this.rate;
    if (!this.value || this.value.length !== sample.length) {
      this.value = Float64Array.from(sample);
      this.speed = new Float64Array(sample.length);
      out.set(sample);
      return out;
    }
    const aSpeed = alpha(this.derivativeCutoff, dt);
    for (let i = 0; i < sample.length; i++) {
      const speed = this.speed![i] + aSpeed * ((sample[i] - this.value[i]) / dt - this.speed![i]);
      this.speed![i] = speed;
      const a = alpha(this.minCutoff + this.beta * Math.abs(speed), dt);
      this.value[i] += a * (sample[i] - this.value[i]);
      out[i] = this.value[i];
    }
    return out;
  }

  /** Forgets the past: the next sample passes unchanged. */
  reset(): void {
    this.value = undefined;
    this.speed = undefined;
  }
}

/**
 * `--smooth STRENGTH` as filter settings for keypoints in [-1, 1]: strength 1 is a still cutoff of
 * 0.5 Hz and beta 5 (chosen on a still with noise and on a step: docs/animate.md); 2 halves both
 * (smoother, more lag), 0.5 doubles them.
 */
export function smoothingParams(strength: number): OneEuroParams {
  if (!(strength > 0 && Number.isFinite(strength))) throw new RangeError(`smoothing strength must be a positive number, got ${strength}`);
  return { minCutoff: 0.5 / strength, beta: 5 / strength, derivativeCutoff: 1 };
}
