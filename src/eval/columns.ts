// The metrics of the paper's tables (section 4, Table 1), with the direction that is better, as
// the columns dime eval prints for each task. FD-synth (DESIGN section 7) is the Frechet distance in
// the synthetic identity oracle's feature space, shown on synthetic data only; it is not FID.
export type MetricKey = "l1" | "lpips" | "psnr" | "ssim" | "msSsim" | "sharpness" | "akd" | "fid" | "csim" | "fdSynth";

export type EvalTask = "reconstruction" | "animation";

export interface MetricColumn {
  key: MetricKey;
  /** The column's heading, as the paper writes it. */
  label: string;
  better: "lower" | "higher";
  /** Digits after the point in tables (the JSON keeps full precision). */
  decimals: number;
}

export const METRICS: Record<MetricKey, MetricColumn> = {
  l1: { key: "l1", label: "L1", better: "lower", decimals: 4 },
  lpips: { key: "lpips", label: "LPIPS", better: "lower", decimals: 4 },
  psnr: { key: "psnr", label: "PSNR", better: "higher", decimals: 2 },
  ssim: { key: "ssim", label: "SSIM", better: "higher", decimals: 4 },
  msSsim: { key: "msSsim", label: "MS-SSIM", better: "higher", decimals: 4 },
  // Variance of the Laplacian relative to the real frame's (metrics/sharpness.ts): below 1 is
  // blurrier than the truth. "higher" up to 1; above 1 is detail the truth does not have.
  sharpness: { key: "sharpness", label: "Sharpness", better: "higher", decimals: 3 },
  akd: { key: "akd", label: "AKD", better: "lower", decimals: 3 },
  fid: { key: "fid", label: "FID", better: "lower", decimals: 2 },
  csim: { key: "csim", label: "CSIM", better: "higher", decimals: 4 },
  fdSynth: { key: "fdSynth", label: "FD-synth", better: "lower", decimals: 4 },
};

/** The columns of a task, in the order printed; FD-synth only on synthetic data. */
export function taskColumns(task: EvalTask, synthetic: boolean): MetricKey[] {
  const base: MetricKey[] =
    task === "reconstruction" ? ["l1", "lpips", "psnr", "ssim", "msSsim", "sharpness", "akd", "fid"] : ["fid", "csim"];
  return synthetic ? [...base, "fdSynth"] : base;
}

/** "L1 ↓", "PSNR ↑". */
export function columnHeading(key: MetricKey): string {
  const column = METRICS[key];
  return `${column.label} ${column.better === "lower" ? "↓" : "↑"}`;
}
