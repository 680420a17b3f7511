// The animation benchmark (`dime bench animate`): end-to-end frames per second of animate() (decode
// the driving mp4, keypoints, animation, encode an mp4) at 64 and 256 px, the per-job set-up
// (prepare: keypoints and features of the source and references), and the peak resident memory of
// a whole animation of a 30-frame and a 300-frame clip, each in a fresh process, since memory must
// not grow with the clip's length. Weights are random: the cost does not depend on their values.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as torch from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import { tuneForInference } from "../dime/inference-tuning.js";
import type { DimeConfig } from "../dime/config/schema.js";
import { loadConfig } from "../dime/config/file.js";
import { animate } from "../infer/animate.js";
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
}

export interface AnimateFigure {
  config: string;
  size: number;
  references: number;
  threads: number;
  frames: number;
  /** Driving frames per second, end to end (decode, animate, encode), median of the runs. */
  framesPerSecond: number;
  /** prepare() on the source and references, median ms. */
  setupMs: number;
  runs: number;
  otherProcessCores?: number;
}

export interface MemoryFigure {
  frames: number;
  size: number;
  /** Peak resident set size of the whole process (ru_maxrss), MiB. */
  peakRssMiB: number;
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
  "framesPerSecond: animate() on a synthetic mp4 (ffmpeg testsrc2) with a random-weight model at the config's size and " +
  "switches, num_refs reference pictures, relative motion, batch 8, every output frame encoded to H.264; wall clock from the " +
  "call to the closed file, median of the runs after one untimed run. setupMs: model.prepare() on the source and references " +
  "(inference mode), median. memory: a child process per clip animates the whole clip (64 px) and reports its peak RSS.";

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

/** Animates `clip` once with `model` into `out`; returns the frames written. */
export async function animateClip(model: DiME, config: DimeConfig, clip: string, out: string): Promise<number> {
  const [height, width] = config.dataset_params.frame_shape;
  const still = () => torch.rand([3, height, width]);
  const source = still();
  const references = Array.from({ length: config.model_params.switches.num_refs }, still);
  const writer = new VideoWriter(out, { fps: 25, width, height });
  try {
    for await (const frame of animate({ model, size: { width, height }, source, references, driving: clip }))
      await writer.write(frame.image);
    await writer.close();
  } catch (error) {
    writer.abort();
    throw error;
  } finally {
    torch.dispose([source, references]);
  }
  return writer.frameCount;
}

async function timeAnimation(model: DiME, c: AnimateCase, clip: string, out: string, runs: number): Promise<number> {
  await animateClip(model, c.config, clip, out); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await animateClip(model, c.config, clip, out);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return c.frames / (samples[Math.floor(samples.length / 2)] / 1000);
}

function timeSetup(model: DiME, config: DimeConfig, runs: number): number {
  const [height, width] = config.dataset_params.frame_shape;
  const source = torch.rand([1, 3, height, width]);
  const references = Array.from({ length: config.model_params.switches.num_refs }, () => torch.rand([1, 3, height, width]));
  const timing = time(() => torch.inferenceMode(() => torch.tidy(() => void model.prepare(source, references))), runs);
  torch.dispose([source, references]);
  return timing.medianMs;
}

/** Peak RSS of a fresh process animating a `frames`-frame clip at 64 px (memory-child.ts). */
function measureMemory(frames: number, folder: string): MemoryFigure {
  const child = new URL(`./animate-memory${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).pathname;
  const loader = child.endsWith(".ts") ? ["--import", "tsx"] : [];
  const start = performance.now();
  const result = spawnSync(process.execPath, [...loader, child, String(frames), folder], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.status !== 0) throw new Error(`the memory run of ${frames} frames failed: ${result.stderr.trim().split("\n").at(-1)}`);
  const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { frames: number; peakRssMiB: number };
  return { frames: report.frames, size: 64, peakRssMiB: report.peakRssMiB, seconds: (performance.now() - start) / 1000 };
}

export interface AnimateBenchOptions {
  threads: number[];
  cases: AnimateCase[];
  runs: number;
  /** Clip lengths whose peak RSS is compared (default 30 and 300). */
  memoryFrames?: number[];
  /** Run the real-footage case (defaultAnimateBenchOptions: yes); `footageOnly` runs nothing else. */
  footage?: boolean;
  footageOnly?: boolean;
}

export function defaultAnimateBenchOptions(threads: number[], runs = 3): AnimateBenchOptions {
  return {
    threads,
    runs,
    footage: true,
    cases: [
      { name: "configs/synth-faces-64.yaml", config: loadConfig(packagedConfig("synth-faces-64.yaml")), frames: 96 },
      { name: "configs/vox-256.yaml", config: loadConfig(packagedConfig("vox-256.yaml")), frames: 8 },
    ],
  };
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
      const cases = options.cases.map((c) => ({ ...c, frames: c.config.dataset_params.frame_shape[0] > 64 ? 8 : 24 }));
      footage = await benchFootage(cases, options.threads, folder, progress);
    }
    for (const c of options.footageOnly ? [] : options.cases) {
      const [size] = c.config.dataset_params.frame_shape;
      const clip = join(folder, `clip-${size}.mp4`);
      testClip(clip, c.frames, size);
      const model = randomModel(c.config, 0);
      try {
        for (const threads of options.threads) {
          progress?.(`${c.name}: ${c.frames} frames at ${size} px, ${threads} thread${threads === 1 ? "" : "s"}`);
          torch.setNumThreads(threads);
          const before = cpuSnapshot();
          const framesPerSecond = await timeAnimation(model, c, clip, join(folder, "out.mp4"), options.runs);
          const setupMs = timeSetup(model, c.config, Math.max(3, options.runs));
          figures.push({
            config: c.name,
            size,
            references: c.config.model_params.switches.num_refs,
            threads,
            frames: c.frames,
            framesPerSecond,
            setupMs,
            runs: options.runs,
            otherProcessCores: otherProcessCores(before, cpuSnapshot()),
          });
        }
      } finally {
        model.dispose();
      }
    }
    for (const frames of options.footageOnly ? [] : (options.memoryFrames ?? [30, 300])) {
      progress?.(`peak memory: a ${frames}-frame clip at 64 px in a fresh process`);
      memory.push(measureMemory(frames, folder));
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

export function formatAnimateBench(result: AnimateBenchResult): string {
  const m = result.machine;
  const rows = result.figures.map(
    (f) =>
      `${f.config.padEnd(28)} ${String(f.size).padStart(4)} px  ${f.references} refs  ${f.threads} thr  ${f.framesPerSecond.toFixed(1).padStart(7)} frames/s  ` +
      `set-up ${f.setupMs.toFixed(1).padStart(7)} ms  others' cores ${f.otherProcessCores?.toFixed(2) ?? "?"}`,
  );
  const mem = result.memory.map(
    (r) => `${String(r.frames).padStart(4)} frames at ${r.size} px: peak RSS ${r.peakRssMiB.toFixed(0)} MiB (${r.seconds.toFixed(1)} s)`,
  );
  return [
    `DiME animate benchmark, ${result.date}: ${m.cpu}, ${m.logicalCores} logical cores, libtorch ${m.libtorch}; ${result.seconds.toFixed(0)} s in all`,
    "end to end: decode mp4, keypoints, animation, encode mp4 (random weights, batch 8); set-up = prepare() on source and references",
    ...rows,
    ...mem,
    ...formatFootage(result.footage ?? [], result.footageSkipped),
  ].join("\n");
}
