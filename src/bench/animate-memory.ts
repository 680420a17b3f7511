// The child process of `dime bench animate`'s memory figures: animates a test clip of N frames with
// a random-weight model of the job's config, precision, batch and threads, and prints as JSON its
// peak resident memory, its RSS along the way and the tensors it left alive (MemoryReport).
// Usage: node animate-memory.js JOB.json FOLDER   (JOB: { config, frames, threads, precision, batch })
import { readFileSync } from "node:fs";
import { join } from "node:path";

import * as torch from "../torch/index.js";
import { DiME } from "../dime/dime.js";
import { tuneForInference } from "../dime/inference-tuning.js";
import { parseConfig } from "../dime/config/file.js";
import { animateClip, testClip, type MemoryReport } from "./animate.js";

const mib = (bytes: number) => bytes / 2 ** 20;

const job = JSON.parse(readFileSync(process.argv[2], "utf8")) as {
  config: unknown;
  frames: number;
  threads: number;
  precision: torch.Precision;
  batch: number;
};
const folder = process.argv[3];
const config = parseConfig(job.config, process.argv[2]);
const [size] = config.dataset_params.frame_shape;
const clip = join(folder, `memory-${size}-${job.frames}.mp4`);
testClip(clip, job.frames, size);
torch.setNumThreads(job.threads);
const baselineRssMiB = mib(process.memoryUsage.rss());
// Counted before the model exists and after it is freed: the model keeps eval-only weights it makes
// at their first use (dime/blocks.ts), which are its own, not the job's.
const tensorsBefore = torch.memory().nativeTensors;
torch.manualSeed(0);
const model = tuneForInference(new DiME(config.model_params));
const every = Math.max(1, Math.ceil(job.frames / 10));
const rssByFrame: MemoryReport["rssByFrame"] = [];
const onFrame = (written: number) => {
  if (written % every === 0 || written === job.frames) rssByFrame.push({ frames: written, rssMiB: mib(process.memoryUsage.rss()) });
};
const start = performance.now();
const written = await animateClip(model, config, clip, join(folder, `memory-${size}-${job.frames}-out.mp4`), {
  batch: job.batch,
  precision: job.precision,
  onFrame,
});
const seconds = (performance.now() - start) / 1000;
const usage = process.memoryUsage();
const report: MemoryReport = {
  frames: written,
  // ru_maxrss is in KiB on Linux.
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  baselineRssMiB,
  rssByFrame,
  tensorMiB: mib(usage.external - usage.arrayBuffers),
  leakedTensors: 0,
  framesPerSecond: written / seconds,
};
model.dispose();
report.leakedTensors = torch.memory().nativeTensors - tensorsBefore;
console.log(JSON.stringify(report));
