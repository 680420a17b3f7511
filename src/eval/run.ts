// A whole `dime eval` run as a library call: the test videos, their meta.json (synthetic kind,
// identities, visibility), the animation pairs, the metric networks and judges, then each
// checkpoint in turn, scored by the task's protocol, into one EvalReport. Every input is checked
// before the first frame is generated, so a bad checkpoint or data folder fails at once.
import { basename, dirname } from "node:path";

import type { Device, Precision } from "../torch/index.js";
import type { OdeSettings } from "../dime/motion_ode.js";
import { listVideos } from "../data/layout.js";
import { loadModel } from "../infer/model.js";
import { findCheckpoint } from "../checkpoint/files.js";
import { animatedFrameCount } from "./animation.js";
import { columnHeading, METRICS, taskColumns, type EvalTask } from "./columns.js";
import { loadJudges } from "./detectors.js";
import { evaluateAnimation } from "./evaluate-animation.js";
import { evaluateReconstruction } from "./evaluate-reconstruction.js";
import { loadMetricNetworks, type MetricNetworkFiles } from "./networks.js";
import { animationPairs, videoIdentities, type AnimationPair } from "./pairs.js";
import type { EvalReport, EvalRow } from "./report.js";
import { ReferenceStats, type EvaluationSuite } from "./results.js";
import { datasetKind, readEvalMeta } from "./video-meta.js";

export interface EvalCheckpoint {
  /** A checkpoint file, its sidecar, or a run folder (its latest checkpoint). */
  path: string;
  /** The row's name (default: checkpointNames). */
  name?: string;
  /** Reference frames per source (default: the checkpoint's num_refs). */
  refs?: number;
  /** A config file to use with it; a PyTorch checkpoint (FOMM's .pth.tar) needs one. */
  config?: string;
}

export interface EvalRequest {
  checkpoints: EvalCheckpoint[];
  /** A dataset folder with test/ (and train/). */
  data: string;
  task: EvalTask;
  /** Default "test". */
  split?: "test" | "train";
  /** Seeds the reference frames and the pairs (default 0). */
  seed?: number;
  /** Animation: source/driving pairs (default 200). */
  pairs?: number;
  /** Only the first N videos by name. */
  limit?: number;
  /** Animation: driving frames per pair (default all). */
  drivingFrames?: number;
  /** Frames per batch (default 8). */
  batch?: number;
  /** Default cpu. */
  device?: Device;
  ode?: Partial<OdeSettings>;
  /** fp32 (default), or bf16/fp16 through autocast (infer/precision.ts); metrics stay fp32. */
  precision?: Precision;
  networks?: MetricNetworkFiles;
  /** face-api.js for AKD and CSIM: true (shipped weights) or a folder. */
  faceApi?: boolean | string;
  /** The synthetic oracles' folder (default models/oracles/<kind>-64). */
  oracleDir?: string;
  /** Once everything is checked: the frames the whole run will generate. */
  onStart?: (totalFrames: number) => void;
  /** After each batch: frames generated so far in the run, and what is being done. */
  onFrames?: (done: number, label: string) => void;
}

/**
 * Default row names: a run folder's name, or a checkpoint file's name without its extension,
 * prefixed by the run's name when it lies in RUN/checkpoints/; repeated names get " #2", " #3".
 */
export function checkpointNames(paths: readonly string[]): string[] {
  const names = paths.map((path) => {
    const clean = path.replace(/\/+$/, "");
    const file = basename(clean).replace(/(\.optimizer)?\.(safetensors|json)$/, "");
    if (file === basename(clean)) return file; // a folder
    const parent = dirname(clean);
    return basename(parent) === "checkpoints" ? `${basename(dirname(parent))}/${file}` : file;
  });
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name} #${n}`;
  });
}

/** Runs the evaluation `request` describes. Throws (one line) for missing checkpoints or data. */
export async function runEvaluation(request: EvalRequest): Promise<EvalReport> {
  const started = performance.now();
  const split = request.split ?? "test";
  const seed = request.seed ?? 0;
  const device = request.device ?? "cpu";
  const batch = request.batch ?? 8;
  if (request.checkpoints.length === 0) throw new RangeError("no checkpoint to evaluate");
  for (const c of request.checkpoints) findCheckpoint(c.path);
  const videos = (await listVideos(request.data, split)).slice(0, request.limit);
  const metas = videos.map(readEvalMeta);
  const kind = datasetKind(videos, metas);
  const identities = videoIdentities(videos, metas);
  let pairs: AnimationPair[] = [];
  if (request.task === "animation") pairs = animationPairs(identities, request.pairs ?? 200, seed);
  const framesPerModel =
    request.task === "reconstruction"
      ? videos.reduce((n, v) => n + v.frameCount, 0)
      : pairs.reduce((n, p) => n + animatedFrameCount(videos[p.driving], request.drivingFrames), 0);

  const names = checkpointNames(request.checkpoints.map((c) => c.path));
  const networks = loadMetricNetworks({ ...request.networks, device });
  const judges = loadJudges({ kind, faceApi: request.faceApi, oracleDir: request.oracleDir, device });
  const suite: EvaluationSuite = { networks, judges, ...(kind !== undefined ? { kind } : {}) };
  const reference = new ReferenceStats();
  const rows: EvalRow[] = [];
  const sizes: string[] = [];
  request.onStart?.(framesPerModel * request.checkpoints.length);
  try {
    for (const [i, c] of request.checkpoints.entries()) {
      const loaded = loadModel(c.path, { device, ...(c.config !== undefined ? { config: c.config } : {}) });
      try {
        const before = i * framesPerModel;
        const options = {
          refs: c.refs ?? loaded.config.model_params.switches.num_refs,
          seed,
          batch,
          device,
          ode: request.ode ?? {},
          precision: request.precision ?? "fp32",
          reference,
          ...(request.drivingFrames !== undefined ? { frames: request.drivingFrames } : {}),
          onFrames: (done: number, label: string) => request.onFrames?.(before + done, label),
        };
        const result =
          request.task === "reconstruction"
            ? await evaluateReconstruction(loaded.model, videos, metas, loaded.size, suite, options)
            : await evaluateAnimation(loaded.model, videos, pairs, loaded.size, suite, options);
        sizes.push(`${loaded.size.width}x${loaded.size.height}`);
        rows.push({
          name: c.name ?? names[i],
          checkpoint: loaded.path,
          step: loaded.step,
          refs: result.refs,
          frames: result.frames,
          seconds: result.seconds,
          framesPerSecond: result.frames / result.seconds,
          metrics: result.metrics,
          parts: result.parts,
        });
      } finally {
        loaded.model.dispose();
      }
    }
  } finally {
    reference.dispose();
    networks.dispose();
    judges.dispose();
  }
  const columns = taskColumns(request.task, kind !== undefined);
  const describe: EvalReport["judges"] = {};
  for (const key of ["akd", "csim", "fdSynth"] as const) if (judges[key] && columns.includes(key)) describe[key] = judges[key].describe;
  return {
    task: request.task,
    date: new Date().toISOString(),
    data: request.data,
    split,
    seed,
    dataset: { kind: kind ?? null, videos: videos.length, identities: new Set(identities).size, sizes: [...new Set(sizes)] },
    ...(request.task === "animation"
      ? {
          animation: {
            pairsRequested: request.pairs ?? 200,
            drivingFrames: request.drivingFrames ?? null,
            pairs: pairs.map((p) => ({ source: videos[p.source].name, driving: videos[p.driving].name })),
          },
        }
      : {}),
    settings: { batch, device, ode: request.ode ?? {}, precision: request.precision ?? "fp32" },
    networks: networks.files,
    judges: describe,
    columns: columns.map((key) => ({ ...METRICS[key], heading: columnHeading(key) })),
    rows,
    seconds: (performance.now() - started) / 1000,
  };
}
