// Seeded random damage to a PyTorch checkpoint, read back: every case must either load or throw
// the reader's own TorchCheckpointError, quickly and within a small multiple of the file's size
// in memory. Mutations aim mostly at the structure (the pickles at the start, the zip directory
// at the end), where a reader can go wrong; damaged tensor bytes only change values.
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

import * as torch from "../torch/index.js";
import { Rng } from "../util/prng.js";
import { TorchCheckpointError, inspectTorchCheckpoint, readTorchCheckpoint } from "../io/torch-checkpoint.js";

export interface FuzzOptions {
  seed: number;
  /** At most this many cases. */
  cases: number;
  /** Stop early after this many seconds (the cases run so far are reported). */
  seconds: number;
  /** Read the tensors too (not only the structure) in one case out of this many that parse. */
  fullReadEvery?: number;
}

export interface FuzzReport {
  file: string;
  fileBytes: number;
  cases: number;
  /** Cases that parsed (the damage hit tensor bytes, or left the file valid). */
  loaded: number;
  /** Cases refused with a TorchCheckpointError. */
  refused: number;
  /** Cases read with their tensors. */
  fullReads: number;
  seconds: number;
  /** The slowest case, ms. */
  slowestMs: number;
  /** Largest growth of resident memory over the run's start, bytes. */
  peakRssGrowth: number;
  /** Each distinct first-line reason of a refusal, with its count (the file name stripped). */
  reasons: Record<string, number>;
  /** Errors of any other type: each a bug (empty when the reader held). */
  unexpected: string[];
}

/**
 * One seeded mutation of `original`, applied to the file `fd` holds (a copy of it) by positional
 * writes, so no case copies the whole file. Returns the undo.
 */
function mutate(fd: number, original: Buffer, rng: Rng): () => void {
  const n = original.length;
  // Positions in the structure: the first 96 KB (pickles, zip local headers) or the last 64 KB
  // (the zip central directory), else anywhere.
  const position = () => {
    const r = rng.float();
    if (r < 0.5) return rng.int(Math.min(n, 96 << 10));
    if (r < 0.8) return n - 1 - rng.int(Math.min(n, 64 << 10));
    return rng.int(n);
  };
  const kind = rng.int(4);
  if (kind === 0 || kind === 1) {
    const touched: number[] = [];
    for (let i = 1 + rng.int(kind === 0 ? 8 : 4); i > 0; i--) {
      const p = position();
      const value = kind === 0 ? rng.int(256) : original[p] ^ (1 << rng.int(8));
      writeSync(fd, Uint8Array.of(value), 0, 1, p);
      touched.push(p);
    }
    return () => touched.forEach((p) => writeSync(fd, original, p, 1, p));
  }
  if (kind === 2) {
    ftruncateSync(fd, rng.int(n));
    return () => writeSync(fd, original, 0, n, 0);
  }
  // Delete or duplicate a short run, shifting everything after it.
  const at = position();
  const length = 1 + rng.int(16);
  if (rng.chance(0.5)) {
    const from = Math.min(n, at + length);
    writeSync(fd, original, from, n - from, at);
    ftruncateSync(fd, n - (from - at));
  } else {
    writeSync(fd, original, at, n - at, Math.min(n, at + length));
  }
  return () => {
    ftruncateSync(fd, n);
    writeSync(fd, original, at, n - at, at);
  };
}

/** Runs the seeded cases on `file` (see the header). */
export function fuzzTorchCheckpoint(file: string, options: FuzzOptions): FuzzReport {
  const original = readFileSync(file);
  const rng = Rng.from(options.seed, "fuzz", basename(file));
  const dir = mkdtempSync(join(tmpdir(), "dime-fuzz-"));
  const path = join(dir, basename(file));
  const fullEvery = options.fullReadEvery ?? 8;
  const report: FuzzReport = {
    file,
    fileBytes: original.length,
    cases: 0,
    loaded: 0,
    refused: 0,
    fullReads: 0,
    seconds: 0,
    slowestMs: 0,
    peakRssGrowth: 0,
    reasons: {},
    unexpected: [],
  };
  const baseline = process.memoryUsage().rss;
  const start = performance.now();
  writeFileSync(path, original);
  const fd = openSync(path, "r+");
  try {
    while (report.cases < options.cases && performance.now() - start < options.seconds * 1000) {
      const undo = mutate(fd, original, rng);
      const t0 = performance.now();
      try {
        inspectTorchCheckpoint(path);
        report.loaded++;
        if (report.loaded % fullEvery === 0) {
          const checkpoint = readTorchCheckpoint(path);
          torch.dispose(checkpoint.tensors);
          report.fullReads++;
        }
      } catch (error) {
        if (error instanceof TorchCheckpointError) {
          report.refused++;
          const reason = error.reason.replace(/\d+/g, "N").slice(0, 90);
          report.reasons[reason] = (report.reasons[reason] ?? 0) + 1;
        } else {
          report.unexpected.push(`case ${report.cases}: ${(error as Error)?.name}: ${(error as Error)?.message}`);
        }
      }
      report.slowestMs = Math.max(report.slowestMs, performance.now() - t0);
      report.peakRssGrowth = Math.max(report.peakRssGrowth, process.memoryUsage().rss - baseline);
      report.cases++;
      undo();
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  report.seconds = (performance.now() - start) / 1000;
  return report;
}
