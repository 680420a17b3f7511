// Throughput of the data path, for `dime bench data`: synthetic frames per second (render + PNG
// encode + meta) at 64, 128 and 256 px, and loader samples per second at 64 and 256 px for the
// frame-folder and mp4 layouts.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

import { generateDataset } from "../synth/generate.js";
import { DataLoader } from "./loader.js";

export interface DataBenchResult {
  cpus: number;
  synth: Array<{ kind: string; size: number; frames: number; seconds: number; framesPerSecond: number }>;
  loader: Array<{
    layout: "frames" | "mp4";
    size: number;
    workers: number;
    batchSize: number;
    numRefs: number;
    samples: number;
    seconds: number;
    samplesPerSecond: number;
    firstEpochSamplesPerSecond: number;
  }>;
}

export interface DataBenchOptions {
  synthSizes?: number[];
  loaderSizes?: number[];
  workers?: number;
  /** Progress lines. */
  log?: (message: string) => void;
}

export async function benchData(options: DataBenchOptions = {}): Promise<DataBenchResult> {
  const log = options.log ?? (() => undefined);
  const workers = options.workers ?? 2;
  const dir = mkdtempSync(join(tmpdir(), "dime-bench-data-"));
  const result: DataBenchResult = { cpus: cpus().length, synth: [], loader: [] };
  try {
    for (const size of options.synthSizes ?? [64, 128, 256]) {
      const videos = Math.max(1, Math.round(4 * (64 / size)));
      const report = await generateDataset({
        kind: "faces",
        videos,
        frames: 16,
        size,
        seed: 1,
        out: join(dir, `synth-${size}`),
        testFraction: 0,
      });
      result.synth.push({
        kind: "faces",
        size,
        frames: report.frames,
        seconds: report.seconds,
        framesPerSecond: report.frames / report.seconds,
      });
      log(`synth faces ${size}px: ${(report.frames / report.seconds).toFixed(1)} frames/s`);
    }
    for (const size of options.loaderSizes ?? [64, 256]) {
      for (const layout of ["frames", "mp4"] as const) {
        const root = join(dir, `loader-${layout}-${size}`);
        await generateDataset({
          kind: "faces",
          videos: 8,
          frames: 16,
          size,
          seed: 2,
          out: root,
          testFraction: 0,
          format: layout === "mp4" ? "mp4" : "png",
          samples: 1,
        });
        const repeats = size <= 64 ? 50 : 12;
        const loader = await DataLoader.open(root, { size, numRefs: 2, batchSize: 8, workers, repeats, seed: 3 });
        try {
          const time = async (epoch: number) => {
            const start = performance.now();
            let samples = 0;
            for await (const batch of loader.epoch(epoch)) samples += batch.shape.batch;
            return { samples, seconds: (performance.now() - start) / 1000 };
          };
          const first = await time(0); // includes worker start-up and (mp4) decoding into the cache
          const warm = await time(1);
          const row = {
            layout,
            size,
            workers,
            batchSize: 8,
            numRefs: 2,
            samples: warm.samples,
            seconds: warm.seconds,
            samplesPerSecond: warm.samples / warm.seconds,
            firstEpochSamplesPerSecond: first.samples / first.seconds,
          };
          result.loader.push(row);
          log(
            `loader ${layout} ${size}px: ${row.samplesPerSecond.toFixed(0)} samples/s (first epoch ${row.firstEpochSamplesPerSecond.toFixed(0)})`,
          );
        } finally {
          await loader.close();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** The result as a small table. */
export function formatDataBench(result: DataBenchResult): string {
  const lines = [`data path on ${result.cpus} CPUs`, "synthetic frames (render + PNG + meta):"];
  for (const s of result.synth)
    lines.push(`  ${s.kind} ${String(s.size).padStart(4)} px  ${s.framesPerSecond.toFixed(1).padStart(8)} frames/s`);
  lines.push("loader (batch 8, 2 refs, after a warm-up epoch):");
  for (const l of result.loader)
    lines.push(
      `  ${l.layout.padEnd(6)} ${String(l.size).padStart(4)} px  ${l.samplesPerSecond.toFixed(0).padStart(6)} samples/s  (first epoch ${l.firstEpochSamplesPerSecond.toFixed(0)}, ${l.workers} workers)`,
    );
  return lines.join("\n");
}
