// The batch size animate() uses when none is given: the fastest measured end to end (decode,
// animate, encode) for the thread count and the model's frame size (docs/speed.md, "Batch size").
// The frames do not depend on it (test/infer-batch-size.test.ts), only the speed and the memory do.
import type { Device } from "../torch/index.js";
import type { FrameSize } from "./model.js";

/** One measured row: frames of up to `maxPixels` pixels at up to `maxThreads` threads animate fastest in batches of `batch`. */
interface BatchRow {
  maxPixels: number;
  maxThreads: number;
  batch: number;
}

// From experiments/speed/batch-size.ts on the project's 2-core AMD EPYC VM, end to end with random
// weights tuned for inference (docs/speed.md, "Batch size"), under load from other work. At 64 px
// batches of 4 took the least CPU per frame at 1 thread (14 ms against 35-58 at batch 1 and 26-29
// at 32, fp32); at 2 threads 8 and 16 gave 1.7x-1.9x the frames per second of 2 and 4, and 8 holds
// half 16's memory. At 256 px and 1 thread batch 1 did (fp32 2484 ms against 4426 at batch 8; bf16
// 1193 against 2106): one frame's activations already fill the caches, and a batch only adds
// memory traffic; at 2 threads batch 2 beat batch 1 (fp32 1.5x, bf16 1.1x the frames per second),
// fewer parallel regions to wait at. Rows are read in order; the first that fits wins.
const CPU_TABLE: readonly BatchRow[] = [
  { maxPixels: 128 * 128, maxThreads: 1, batch: 4 },
  { maxPixels: 128 * 128, maxThreads: Number.POSITIVE_INFINITY, batch: 8 },
  { maxPixels: Number.POSITIVE_INFINITY, maxThreads: 1, batch: 1 },
  { maxPixels: Number.POSITIVE_INFINITY, maxThreads: Number.POSITIVE_INFINITY, batch: 2 },
];

/** On a GPU: not measured (no GPU here); 8, the batch dime animate always had. */
const GPU_BATCH = 8;

/** The default driving frames per batch for `threads` libtorch threads and frames of `size` on `device`. */
export function autoBatch(threads: number, size: FrameSize, device: Device): number {
  if (device !== "cpu") return GPU_BATCH;
  const pixels = size.width * size.height;
  return CPU_TABLE.find((row) => pixels <= row.maxPixels && threads <= row.maxThreads)!.batch;
}

/** The rule in words, for --help. */
export const AUTO_BATCH_HELP = "on the CPU, up to 128x128 px 4 at 1 thread and 8 at more, above 1 and 2; 8 on a GPU";
