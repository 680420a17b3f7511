// The animation benchmark (`dime bench animate`): end-to-end frames per second of animate() (decode
// the driving mp4, keypoints, animation, encode an mp4) at 64 and 256 px, in fp32 and bf16, at the
// batch dime animate chooses (or the batches asked for), the per-job set-up (prepare: keypoints and
// features of the source and references), and the peak resident memory of a whole animation of a
// 30-frame and a 300-frame clip for each case, each in a fresh process, since memory must not grow
// with the clip's length. Weights are random: the cost does not depend on their values.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as torch from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import { tuneForInference } from "../dime/inference-tuning.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { loadConfig } from "../dime/config/file.js";
import { animate } from "../infer/animate.js";
import { autoBatch } from "../infer/batch-size.js";
import { inferIn } from "../infer/precision.js";
import { ffmpegPath } from "../media/tools.js";
import { VideoWriter } from "../media/video-write.js";
import { cpuSnapshot, machineInfo, otherProcessCores, type MachineInfo } from "./machine.js";
import { packagedConfig } from "./model.js";
import { time } from "./timing.js";
import { benchFootage, formatFootage, type FootageFigure } from "./animate-footage.js";

export interface AnimateCase {
  /** The config's path, for the report. */
  name: string;
  config: DimeConfig;
  /** Driving frames animated per timed run. */
  frames: number;
  /** fp32 (default) or bf16 (autocast with fp32 islands, as `dime animate --precision bf16`). */
  precision?: torch.Precision;
  /** Driving frames per batch; default: what dime animate chooses (infer/batch-size.ts) at each thread count. */
  batch?: number;
}

export interface AnimateFigure {
  config: string;
  size: number;
  references: number;
  threads: number;
  precision: torch.Precision;
  /** Driving frames per batch, and whether dime animate's automatic choice gave it. */
  batch: number;
  autoBatch: boolean;
  frames: number;
  /** Driving frames per second, end to end (decode, animate, encode), median of the runs. */
  framesPerSecond: number;
  /** The same from the fastest run (steadier on a shared machine). */
  bestFramesPerSecond: number;
  /** prepare() on the source and references, median ms. */
  setupMs: number;
  runs: number;
  otherProcessCores?: number;
}

/** What the memory child (animate-memory.ts) reports of one whole animation in a fresh process. */
export interface MemoryReport {
  /** Frames written. */
  frames: number;
  /** Peak resident set size of the whole process (ru_maxrss), MiB: model, decoder buffers, libtorch's allocations. */
  peakRssMiB: number;
  /** Resident set size before the model was built, MiB (Node, the addon, libtorch loaded). */
  baselineRssMiB: number;
  /** Resident set size after every tenth of the frames (and the last), MiB, with the frames done. */
  rssByFrame: { frames: number; rssMiB: number }[];
  /**
   * Native tensor memory held from JS at the end, MiB: the bytes the addon reports to V8 for live
   * tensors (process.memoryUsage().external less arrayBuffers). libtorch's CPU allocator keeps no
   * statistics of its own (only the CUDA caching allocator does), so this and RSS are the figures.
   */
  tensorMiB: number;
  /** Live native tensors after the job and the model are freed, less before the model was made: 0 when nothing leaked. */
  leakedTensors: number;
  /** Frames per second of the whole clip in the fresh process (first batches included), end to end. */
  framesPerSecond: number;
}

export interface MemoryFigure extends MemoryReport {
  config: string;
  size: number;
  precision: torch.Precision;
  batch: number;
  threads: number;
  seconds: number;
}

export interface AnimateBenchResult {
  suite: "animate";
  date: string;
  machine: MachineInfo;
  method: string;
  figures: AnimateFigure[];
  memory: MemoryFigure[];
  /** The real-footage case (animate-footage.ts); `footageSkipped` says why it is empty. */
  footage: FootageFigure[];
  footageSkipped?: string;
  seconds: number;
}

const METHOD =
  "framesPerSecond: animate() on a synthetic mp4 (ffmpeg testsrc2) with a random-weight model tuned for inference at the " +
  "config's size and switches, num_refs reference pictures, relative motion, the case's precision and batch (by default the one " +
  "dime animate chooses for the thread count and size), every output frame encoded to H.264; wall clock from the call to the " +
  "closed file, median (and best) of the runs after one untimed run. setupMs: model.prepare() on the source and references " +
  "(inference mode), median. memory: for each case, a fresh child process per clip length animates the whole clip at the " +
  "case's size, precision and batch with the largest thread count and reports its peak RSS (ru_maxrss), its RSS every tenth " +
  "of the frames, and the tensors left alive.";

/** A test-pattern clip (moving, textured) of `frames` frames at `size` px, 25 fps. */
export function testClip(path: string, frames: number, size: number): void {
  const args = [
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${size}x${size}:rate=25`,
    "-frames:v",
    String(frames),
    "-pix_fmt",
    "yuv420p",
    path,
  ];
  const result = spawnSync(ffmpegPath(), args, { stdio: ["ignore", "ignore", "pipe"] });
  if (result.status !== 0) throw new Error(`ffmpeg could not write the test clip ${path}: ${result.stderr?.toString().trim()}`);
}

/** A random-weight DiME of `config`, tuned for inference as `dime animate` loads one (dime/inference-tuning.ts). */
function randomModel(config: DimeConfig, seed: number): DiME {
  torch.manualSeed(seed);
  return tuneForInference(new DiME(config.model_params));
}

/** How animateClip runs: driving frames per batch (default: animate()'s) and the precision (default fp32). */
export interface ClipSettings {
  batch?: number;
  precision?: torch.Precision;
  /** Called after each frame is written, with the count written. */
  onFrame?: (written: number) => void;
}

/** Animates `clip` once with `model` into `out`; returns the frames written. */
export async function animateClip(
  model: DiME,
  config: DimeConfig,
  clip: string,
  out: string,
  settings: ClipSettings = {},
): Promise<number> {
  const [height, width] = config.dataset_params.frame_shape;
  const still = () => torch.rand([3, height, width]);
  const source = still();
  const references = Array.from({ length: config.model_params.switches.num_refs }, still);
  const writer = new VideoWriter(out, { fps: 25, width, height });
  try {
    const options = { batch: settings.batch, precision: settings.precision };
    for await (const frame of animate({ model, size: { width, height }, source, references, driving: clip, options })) {
      await writer.write(frame.image);
      settings.onFrame?.(frame.index + 1);
    }
    await writer.close();
  } catch (error) {
    writer.abort();
    throw error;
  } finally {
    torch.dispose([source, references]);
  }
  return writer.frameCount;
}

/** Frames per second of `clip` end to end: the median and the best of `runs` after one untimed run. */
async function timeAnimation(model: DiME, c: AnimateCase, clip: string, out: string, runs: number, batch: number) {
  const settings = { batch, precision: c.precision };
  await animateClip(model, c.config, clip, out, settings); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await animateClip(model, c.config, clip, out, settings);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: c.frames / (samples[Math.floor(samples.length / 2)] / 1000), best: c.frames / (samples[0] / 1000) };
}

function timeSetup(model: DiME, c: AnimateCase, runs: number): number {
  const [height, width] = c.config.dataset_params.frame_shape;
  const source = torch.rand([1, 3, height, width]);
  const references = Array.from({ length: c.config.model_params.switches.num_refs }, () => torch.rand([1, 3, height, width]));
  const timing = time(() => inferIn("cpu", c.precision, () => torch.tidy(() => void model.prepare(source, references))), runs);
  torch.dispose([source, references]);
  return timing.medianMs;
}

/** The line of a failed child's stderr that says what went wrong (an uncaught error ends with node's version line). */
function childError(stderr: string): string {
  const lines = stderr.trim().split("\n");
  return lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? "no output";
}

/** Peak RSS and more of a fresh process animating a `frames`-frame clip of case `c` (animate-memory.ts). */
function measureMemory(c: AnimateCase, frames: number, threads: number, folder: string): MemoryFigure {
  const [size] = c.config.dataset_params.frame_shape;
  const batch = c.batch ?? autoBatch({ width: size, height: size }, "cpu");
  const precision = c.precision ?? "fp32";
  const job = join(folder, "memory-job.json");
  writeFileSync(job, JSON.stringify({ config: c.config, frames, threads, precision, batch }));
  const child = new URL(`./animate-memory${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).pathname;
  // node's flags as this process has them (bin/dime.js's --single-threaded-gc), and tsx for the sources.
  const flags = [...process.execArgv, ...(child.endsWith(".ts") && !process.execArgv.includes("tsx") ? ["--import", "tsx"] : [])];
  const start = performance.now();
  const result = spawnSync(process.execPath, [...flags, child, job, folder], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.status !== 0)
    throw new Error(`the memory run of ${frames} frames (${c.name}, ${precision}) failed: ${childError(result.stderr)}`);
  const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as MemoryReport;
  return { config: c.name, size, precision, batch, threads, ...report, seconds: (performance.now() - start) / 1000 };
}

export interface AnimateBenchOptions {
  threads: number[];
  cases: AnimateCase[];
  runs: number;
  /** Clip lengths whose peak RSS is compared for every case (default 30 and 300; [] for none). */
  memoryFrames?: number[];
  /** Run the real-footage case (defaultAnimateBenchOptions: yes); `footageOnly` runs nothing else. */
  footage?: boolean;
  footageOnly?: boolean;
}

/** What a command line may change in the default cases. */
export interface AnimateBenchChoices {
  /** Config paths (default configs/synth-faces-64.yaml and configs/vox-256.yaml). */
  configs?: string[];
  /** Default fp32, and bf16 on CPUs with native bf16. */
  precisions?: torch.Precision[];
  /** Batch sizes (default: dime animate's automatic choice). */
  batches?: number[];
}

/** The precisions timed by default: fp32, and bf16 where the CPU has native bf16 (dime animate's fastest setting there). */
export function defaultAnimatePrecisions(): torch.Precision[] {
  return torch.resolvePrecision("auto", "cpu") === "bf16" ? ["fp32", "bf16"] : ["fp32"];
}

export function defaultAnimateBenchOptions(threads: number[], runs = 3, choices: AnimateBenchChoices = {}): AnimateBenchOptions {
  const configs = choices.configs ?? [packagedConfig("synth-faces-64.yaml"), packagedConfig("vox-256.yaml")];
  const precisions = choices.precisions ?? defaultAnimatePrecisions();
  const batches = choices.batches ?? [undefined];
  const cases = configs.flatMap((file) => {
    const config = loadConfig(file);
    const name = choices.configs ? file : `configs/${file.split("/").at(-1)}`;
    const frames = config.dataset_params.frame_shape[0] > 64 ? 8 : 96;
    return precisions.flatMap((precision) => batches.map((batch) => ({ name, config, frames, precision, batch })));
  });
  return { threads, runs, footage: true, cases };
}

export async function benchAnimate(options: AnimateBenchOptions, progress?: (message: string) => void): Promise<AnimateBenchResult> {
  const started = performance.now();
  const machine = machineInfo();
  const folder = mkdtempSync(join(tmpdir(), "dime-bench-animate-"));
  const figures: AnimateFigure[] = [];
  const memory: MemoryFigure[] = [];
  const savedThreads = torch.getNumThreads();
  let footage: Awaited<ReturnType<typeof benchFootage>> = { figures: [] };
  try {
    if (options.footage || options.footageOnly) {
      // One footage figure per config: the face work around the model does not depend on precision or batch.
      const configs = options.cases.filter((c, i) => options.cases.findIndex((d) => d.name === c.name) === i);
      const cases = configs.map((c) => ({ ...c, frames: c.config.dataset_params.frame_shape[0] > 64 ? 8 : 24 }));
      footage = await benchFootage(cases, options.threads, folder, progress);
    }
    const cases = options.footageOnly ? [] : options.cases;
    for (const name of new Set(cases.map((c) => c.name))) {
      const mine = cases.filter((c) => c.name === name);
      const [size] = mine[0].config.dataset_params.frame_shape;
      const model = randomModel(mine[0].config, 0);
      try {
        for (const c of mine) {
          const clip = join(folder, `clip-${size}-${c.frames}.mp4`);
          testClip(clip, c.frames, size);
          const precision = c.precision ?? "fp32";
          for (const threads of options.threads) {
            const batch = c.batch ?? autoBatch({ width: size, height: size }, "cpu");
            progress?.(
              `${c.name}: ${c.frames} frames at ${size} px, ${precision}, batch ${batch}, ${threads} thread${threads === 1 ? "" : "s"}`,
            );
            torch.setNumThreads(threads);
            const before = cpuSnapshot();
            const fps = await timeAnimation(model, c, clip, join(folder, "out.mp4"), options.runs, batch);
            const setupMs = timeSetup(model, c, Math.max(3, options.runs));
            figures.push({
              config: c.name,
              size,
              references: c.config.model_params.switches.num_refs,
              threads,
              precision,
              batch,
              autoBatch: c.batch === undefined,
              frames: c.frames,
              framesPerSecond: fps.median,
              bestFramesPerSecond: fps.best,
              setupMs,
              runs: options.runs,
              otherProcessCores: otherProcessCores(before, cpuSnapshot()),
            });
          }
        }
      } finally {
        model.dispose();
      }
    }
    const memoryThreads = Math.max(...options.threads);
    for (const c of cases)
      for (const frames of options.memoryFrames ?? [30, 300]) {
        const [size] = c.config.dataset_params.frame_shape;
        progress?.(`peak memory: ${c.name}, ${frames} frames at ${size} px, ${c.precision ?? "fp32"}, in a fresh process`);
        memory.push(measureMemory(c, frames, memoryThreads, folder));
      }
  } finally {
    torch.setNumThreads(savedThreads);
    rmSync(folder, { recursive: true, force: true });
  }
  return {
    suite: "animate",
    date: new Date().toISOString(),
    machine,
    method: METHOD,
    figures,
    memory,
    footage: footage.figures,
    ...(footage.skipped ? { footageSkipped: footage.skipped } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Each case's memory runs side by side: the longest clip's peak RSS against the shortest's. */
function formatMemory(memory: MemoryFigure[]): string[] {
  const lines: string[] = [];
  const key = (m: MemoryFigure) => `${m.config} ${m.precision} batch ${m.batch}`;
  for (const k of new Set(memory.map(key))) {
    const runs = memory.filter((m) => key(m) === k).sort((a, b) => a.frames - b.frames);
    const each = runs.map(
      (r) =>
        `${r.frames} frames ${r.peakRssMiB.toFixed(0)} MiB (${r.framesPerSecond.toFixed(1)} frames/s, tensors ${r.tensorMiB.toFixed(0)} MiB, leaked ${r.leakedTensors})`,
    );
    const [first, last] = [runs[0], runs.at(-1)!];
    const growth = runs.length > 1 ? `; growth ${(last.peakRssMiB - first.peakRssMiB).toFixed(0)} MiB` : "";
    lines.push(`peak RSS, ${k}, ${first.size} px, ${first.threads} thr: ${each.join(", ")}${growth}`);
  }
  return lines;
}

export function formatAnimateBench(result: AnimateBenchResult): string {
  const m = result.machine;
  const rows = result.figures.map(
    (f) =>
      `${f.config.padEnd(28)} ${String(f.size).padStart(4)} px  ${f.references} refs  ${f.precision}  batch ${String(f.batch).padStart(2)}${f.autoBatch ? " (auto)" : "       "}  ${f.threads} thr  ` +
      `${f.framesPerSecond.toFixed(2).padStart(7)} frames/s (best ${f.bestFramesPerSecond.toFixed(2)})  ` +
      `set-up ${f.setupMs.toFixed(1).padStart(7)} ms  others' cores ${f.otherProcessCores?.toFixed(2) ?? "?"}`,
  );
  return [
    `DiME animate benchmark, ${result.date}: ${m.cpu}, ${m.logicalCores} logical cores, libtorch ${m.libtorch}, load average ${m.loadAverage.join(" ")}; ${result.seconds.toFixed(0)} s in all`,
    "end to end: decode mp4, keypoints, animation, encode mp4 (random weights, tuned for inference); set-up = prepare() on source and references",
    ...rows,
    ...formatMemory(result.memory),
    ...(result.footage?.length || result.footageSkipped ? formatFootage(result.footage ?? [], result.footageSkipped) : []),
  ].join("\n");
}
