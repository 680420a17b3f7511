// Which batch size `dime animate` should use per thread count and frame size (docs/speed.md,
// "Batch size"): end-to-end animate() (decode a test-pattern mp4, keypoints, animation, encode an
// mp4) with random weights tuned for inference, as `dime bench animate` runs it, for each batch size,
// in rounds that alternate the batch sizes (their order rotated each round) so that load from other
// processes hits all of them alike.
//   node --import tsx experiments/speed/batch-size.ts [--rounds N] [--threads 1,2] [--precision fp32,bf16]
//        [--sizes 64,256] [--batches LIST] [--json FILE]
// Prints, per case, frames per second (best and median of the rounds) and the process CPU ms per
// frame, and each batch's best fps as a ratio to the first batch's.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

import * as torch from "../../src/torch/index.js";
import { DiME } from "../../src/dime/dime.js";
import { loadConfig } from "../../src/dime/config/file.js";
import { tuneForInference } from "../../src/dime/inference-tuning.js";
import { animateClip, testClip } from "../../src/bench/animate.js";
import { packagedConfig } from "../../src/bench/model.js";
import { cpuModel } from "../../src/bench/machine.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
};
const list = (name: string, fallback: string) => arg(name, fallback).split(",");
const rounds = Number(arg("--rounds", "2"));
const threadCounts = list("--threads", "1,2").map(Number);
const precisions = list("--precision", torch.resolvePrecision("auto", "cpu") === "bf16" ? "fp32,bf16" : "fp32") as torch.Precision[];
const sizes = list("--sizes", "64,256").map(Number);
const only = process.argv.includes("--batches") ? list("--batches", "").map(Number) : undefined;

const CASES: Record<64 | 256, { config: string; frames: number; batches: number[] }> = {
  64: { config: "synth-faces-64.yaml", frames: 96, batches: only ?? [1, 2, 4, 8, 16, 32] },
  256: { config: "vox-256.yaml", frames: 8, batches: only ?? [1, 2, 4, 8] },
};

interface Sample {
  size: number;
  threads: number;
  precision: string;
  batch: number;
  round: number;
  fps: number;
  cpuMsPerFrame: number;
}

const folder = mkdtempSync(join(tmpdir(), "dime-batch-size-"));
const samples: Sample[] = [];
const started = new Date().toISOString();
const loadAtStart = loadavg();
try {
  for (const size of sizes) {
    const c = CASES[size as 64 | 256];
    const config = loadConfig(packagedConfig(c.config));
    const clip = join(folder, `clip-${size}.mp4`);
    testClip(clip, c.frames, size);
    torch.manualSeed(0);
    const model = tuneForInference(new DiME(config.model_params));
    const out = join(folder, "out.mp4");
    for (const threads of threadCounts) {
      torch.setNumThreads(threads);
      for (const precision of precisions) {
        // One untimed run at the largest batch builds the kernels' caches.
        await animateClip(model, config, clip, out, { batch: c.batches.at(-1), precision });
        for (let round = 0; round < rounds; round++) {
          const order = c.batches.map((_, i) => c.batches[(i + round) % c.batches.length]);
          for (const batch of order) {
            const cpu = process.cpuUsage();
            const t0 = performance.now();
            await animateClip(model, config, clip, out, { batch, precision });
            const wall = performance.now() - t0;
            const used = process.cpuUsage(cpu);
            const sample = {
              size,
              threads,
              precision,
              batch,
              round,
              fps: c.frames / (wall / 1000),
              cpuMsPerFrame: (used.user + used.system) / 1000 / c.frames,
            };
            samples.push(sample);
            process.stderr.write(
              `  ${size} px ${threads} thr ${precision} batch ${batch} round ${round}: ${sample.fps.toFixed(2)} fps, ${sample.cpuMsPerFrame.toFixed(0)} CPU ms/frame, load ${loadavg()[0].toFixed(2)}\n`,
            );
          }
        }
      }
    }
    model.dispose();
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(
  `${cpuModel()}, libtorch ${torch.libtorchVersion()}; ${started}, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(" ")}, at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}; ${rounds} rounds`,
);
const summary = [];
for (const size of sizes)
  for (const threads of threadCounts)
    for (const precision of precisions) {
      const rows = CASES[size as 64 | 256].batches.map((batch) => {
        const mine = samples.filter((s) => s.size === size && s.threads === threads && s.precision === precision && s.batch === batch);
        return {
          batch,
          bestFps: Math.max(...mine.map((s) => s.fps)),
          medianFps: median(mine.map((s) => s.fps)),
          cpuMsPerFrame: median(mine.map((s) => s.cpuMsPerFrame)),
        };
      });
      const base = rows[0].bestFps;
      summary.push({ size, threads, precision, rows });
      console.log(`${size} px, ${threads} thread${threads > 1 ? "s" : ""}, ${precision}:`);
      for (const r of rows)
        console.log(
          `  batch ${String(r.batch).padStart(2)}: best ${r.bestFps.toFixed(2).padStart(6)} fps (${(r.bestFps / base).toFixed(2)}x batch ${rows[0].batch}), median ${r.medianFps.toFixed(2).padStart(6)}, CPU ${r.cpuMsPerFrame.toFixed(0)} ms/frame`,
        );
    }
const json = arg("--json", "");
if (json) writeFileSync(json, `${JSON.stringify({ started, loadAtStart, loadAtEnd: loadavg(), samples, summary }, null, 2)}\n`);
