// The report of a `dime eval` run: the settings, the data, the judges, and one row per checkpoint
// with its metrics (MetricResult: a value, or null with the reason) and per-video or per-pair
// means. It is what --json writes (through jsonReport, since JSON has no Infinity).
import type { Device, Precision } from "../torch/index.js";
import type { OdeSettings } from "../dime/motion_ode.js";
import type { EvalTask, MetricColumn, MetricKey } from "./columns.js";
import type { MetricResult, PartResult } from "./results.js";

export interface EvalRow {
  /** --name, or the run folder / checkpoint file name. */
  name: string;
  /** The weights file read. */
  checkpoint: string;
  step: number;
  refs: number;
  /** Generated frames. */
  frames: number;
  seconds: number;
  framesPerSecond: number;
  metrics: Partial<Record<MetricKey, MetricResult>>;
  /** Reconstruction: one per video; animation: one per pair. */
  parts: PartResult[];
}

export interface EvalReport {
  task: EvalTask;
  date: string;
  data: string;
  split: "test" | "train";
  seed: number;
  dataset: {
    /** "faces", "bodies", "shapes" (synthetic, from meta.json) or null (real data). */
    kind: string | null;
    videos: number;
    identities: number;
    /** Frame size of each checkpoint's model, "WxH". */
    sizes: string[];
  };
  /** Animation: the pairs asked for and drawn, the driving-frame cap, and the pairs by video name. */
  animation?: { pairsRequested: number; drivingFrames: number | null; pairs: { source: string; driving: string }[] };
  settings: { batch: number; device: Device; ode: Partial<OdeSettings>; precision?: Precision };
  /** What measures what: weight files and judges, and the reasons for what is unavailable. */
  networks: { lpipsNet: string; lpipsBackbone?: string; lpipsHeads: string; inception?: string };
  judges: { akd?: string; csim?: string; fdSynth?: string };
  columns: (MetricColumn & { heading: string })[];
  rows: EvalRow[];
  seconds: number;
}

/** `report` with every non-finite number written as a string ("Infinity"; JSON has no such number). */
export function jsonReport(report: EvalReport): unknown {
  return JSON.parse(
    JSON.stringify(report, (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? String(value) : value)),
  );
}
