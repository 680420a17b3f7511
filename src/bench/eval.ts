// The evaluation benchmark (`dime bench eval`): frames per second of `dime eval --task
// reconstruction` with every metric at 64 px (configs/synth-faces-64.yaml with random weights on a
// small `dime synth` faces test split made in a temp folder), and what each stage costs: the
// protocol (decoding, the model), each per-frame metric, the Inception and oracle features of
// the generated and the real frames, and the two Frechet distances. LPIPS's AlexNet backbone and
// the FID Inception have random weights written to the temp folder, since the real ones cannot be
// downloaded here; their cost does not depend on the values. The oracles are the shipped ones.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as torch from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { loadConfig } from "../dime/config/file.js";
import { listVideos } from "../data/layout.js";
import { loadJudges } from "../eval/detectors.js";
import { evaluateReconstruction } from "../eval/evaluate-reconstruction.js";
import { loadMetricNetworks } from "../eval/networks.js";
import { ReferenceStats, type MetricResult } from "../eval/results.js";
import type { MetricKey } from "../eval/columns.js";
import { readEvalMeta } from "../eval/video-meta.js";
import { generateDataset } from "../synth/generate.js";
import { cpuSnapshot, machineInfo, otherProcessCores, type MachineInfo } from "./machine.js";
import { writeRandomInception, writeRandomLpips } from "./metric-weights.js";
import { packagedConfig } from "./model.js";

export interface EvalStage {
  /** "protocol" (decode, model), a metric key, "fid features", "fid features (real)", "FID distance", ... */
  stage: string;
  /** Wall time over the whole run. */
  ms: number;
  msPerFrame: number;
}

export interface EvalFigure {
  threads: number;
  /** Generated frames (all test frames). */
  frames: number;
  seconds: number;
  /** Frames per second with every metric, the real frames' features and the distances included. */
  framesPerSecond: number;
  /** Frames per second of the protocol alone (decoding and the model). */
  protocolFramesPerSecond: number;
  stages: EvalStage[];
  /** The figures themselves (meaningless with random weights; kept to show every metric ran). */
  metrics: Partial<Record<MetricKey, MetricResult>>;
  otherProcessCores?: number;
}

export interface EvalBenchResult {
  suite: "eval";
  date: string;
  machine: MachineInfo;
  method: string;
  config: string;
  size: number;
  references: number;
  videos: number;
  figures: EvalFigure[];
  seconds: number;
}

export interface EvalBenchOptions {
  threads: number[];
  /** Test videos (default 2) of `frames` frames (default 16). */
  videos?: number;
  frames?: number;
  /** Default configs/synth-faces-64.yaml. */
  config?: { name: string; config: DimeConfig };
}

const METHOD =
  "evaluateReconstruction (what dime eval --task reconstruction runs) on a dime synth faces test split at 64 px (seed 7, 1 ray " +
  "per pixel) with a random-weight DiME of the config, batch 8, the config's num_refs; every metric on: L1, PSNR, SSIM, " +
  "MS-SSIM, LPIPS alex, AKD and FD-synth with the shipped faces oracles, FID. LPIPS's AlexNet backbone and the FID " +
  "Inception-v3 have RANDOM weights (libtorch's default initialisation, seed 0) written to a temp folder, as the real " +
  "ones cannot be downloaded here: their cost is the real networks' cost, their values are meaningless. One untimed " +
  "warm-up run on the first video, then one timed run on all, with empty real-set statistics (as a single-checkpoint " +
  "dime eval: the real frames' Inception and oracle features are computed too). Stage times are wall time around each " +
  "metric's calls (CPU: synchronous); protocol = the rest (decoding, keypoints, the model).";

export async function benchEval(options: EvalBenchOptions, progress?: (message: string) => void): Promise<EvalBenchResult> {
  const started = performance.now();
  const machine = machineInfo();
  const { name, config } = options.config ?? {
    name: "configs/synth-faces-64.yaml",
    config: loadConfig(packagedConfig("synth-faces-64.yaml")),
  };
  const [height, width] = config.dataset_params.frame_shape;
  const testVideos = options.videos ?? 2;
  const folder = mkdtempSync(join(tmpdir(), "dime-bench-eval-"));
  const savedThreads = torch.getNumThreads();
  const figures: EvalFigure[] = [];
  torch.manualSeed(0);
  const model = new DiME(config.model_params).eval();
  try {
    progress?.(`a faces test split of ${testVideos} videos x ${options.frames ?? 16} frames at ${width} px, random metric weights`);
    // Half the identities held out: testVideos test videos, as many for training (not used).
    await generateDataset({
      kind: "faces",
      out: join(folder, "data"),
      videos: 2 * testVideos,
      frames: options.frames ?? 16,
      size: width,
      seed: 7,
      testFraction: 0.5,
      perIdentity: 1,
      samples: 1,
    });
    const videos = await listVideos(join(folder, "data"), "test");
    const metas = videos.map(readEvalMeta);
    const networks = loadMetricNetworks({ lpipsBackbone: writeRandomLpips(folder), inception: writeRandomInception(folder) });
    const judges = loadJudges({ kind: "faces" });
    const suite = { networks, judges, kind: "faces" };
    const size = { width, height };
    try {
      for (const threads of options.threads) {
        torch.setNumThreads(threads);
        progress?.(`${threads} thread${threads === 1 ? "" : "s"}: warm-up on ${videos[0].name}`);
        await evaluateReconstruction(model, videos.slice(0, 1), metas.slice(0, 1), size, suite, {});
        progress?.(`${threads} thread${threads === 1 ? "" : "s"}: ${videos.length} videos with every metric`);
        const timings = new Map<string, number>();
        const reference = new ReferenceStats();
        const before = cpuSnapshot();
        const start = performance.now();
        const result = await evaluateReconstruction(model, videos, metas, size, suite, { timings, reference });
        const ms = performance.now() - start;
        const others = otherProcessCores(before, cpuSnapshot());
        reference.dispose();
        const metricMs = [...timings.values()].reduce((a, b) => a + b, 0);
        const stages = [["protocol", ms - metricMs] as const, ...timings].map(([stage, t]) => ({
          stage,
          ms: t,
          msPerFrame: t / result.frames,
        }));
        figures.push({
          threads,
          frames: result.frames,
          seconds: ms / 1000,
          framesPerSecond: result.frames / (ms / 1000),
          protocolFramesPerSecond: result.frames / ((ms - metricMs) / 1000),
          stages,
          metrics: result.metrics,
          ...(others !== undefined ? { otherProcessCores: others } : {}),
        });
      }
    } finally {
      networks.dispose();
      judges.dispose();
    }
  } finally {
    model.dispose();
    torch.setNumThreads(savedThreads);
    rmSync(folder, { recursive: true, force: true });
  }
  return {
    suite: "eval",
    date: new Date().toISOString(),
    machine,
    method: METHOD,
    config: name,
    size: width,
    references: config.model_params.switches.num_refs,
    videos: testVideos,
    figures,
    seconds: (performance.now() - started) / 1000,
  };
}

export function formatEvalBench(result: EvalBenchResult): string {
  const m = result.machine;
  const lines = [
    `dime eval benchmark (reconstruction, every metric), ${result.date}: ${m.cpu}, ${m.logicalCores} logical cores, libtorch ${m.libtorch}; ${result.seconds.toFixed(0)} s in all`,
    `${result.config}, ${result.size} px, ${result.references} reference${result.references === 1 ? "" : "s"}, ${result.videos} test videos; LPIPS and Inception with random weights (cost only)`,
  ];
  for (const f of result.figures) {
    lines.push(
      `${f.threads} thr: ${f.framesPerSecond.toFixed(2)} frames/s with every metric (${f.frames} frames in ${f.seconds.toFixed(1)} s); ` +
        `protocol alone ${f.protocolFramesPerSecond.toFixed(1)} frames/s; others' cores ${f.otherProcessCores?.toFixed(2) ?? "?"}`,
    );
    for (const s of f.stages)
      lines.push(`    ${s.stage.padEnd(24)} ${s.msPerFrame.toFixed(1).padStart(8)} ms/frame  ${(s.ms / 1000).toFixed(2).padStart(7)} s`);
  }
  return lines.join("\n");
}
