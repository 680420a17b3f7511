// Timing helpers for benchmarks: warm-up, then the median of repeated runs.

export interface Timing {
  /** Median wall time of one run, in milliseconds. */
  medianMs: number;
  /** Fastest run, in milliseconds. */
  minMs: number;
  runs: number;
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed. */
export function time(fn: () => void, runs: number, warmup = Math.max(1, Math.floor(runs / 5))): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: samples[Math.floor(samples.length / 2)], minMs: samples[0], runs };
}
