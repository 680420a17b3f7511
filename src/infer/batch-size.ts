// The batch size animate() uses when none is given: the fastest measured end to end (decode,
// animate, encode) for the model's frame size (docs/speed.md, "Batch size"); the same at the 1 and
// 2 threads measured, so the thread count is not an input.
// The frames do not depend on it (test/infer-batch-size.test.ts), only the speed and the memory do.
import type { Device } from "../torch/index.js";
import type { FrameSize } from "./model.js";

/** One measured row: frames of up to `maxPixels` pixels animate fastest in batches of `batch`. */
interface BatchRow {
  maxPixels: number;
  batch: number;
}

// From experiments/speed/batch-size.ts on the project's 2-core AMD EPYC VM, end to end with random
// weights tuned for inference (docs/speed.md, "Batch size"). At 64 px batches of 4 took the least CPU
// per frame at 1 thread (14 ms against 35-58 at batch 1 and 26-29 at 32, fp32) and gave the most
// frames per second at 2 threads (49 against 25 at 8 and 15 at 16). At 256 px batch 1 did at 1 and
// 2 threads (bf16, 2 threads: 1.48 frames/s against 1.27 at 2 and 1.06 at 4): one frame's
// activations already fill the caches, and a batch only adds memory traffic. Under heavy load
// (others using both cores) larger batches won at 2 threads, having fewer parallel regions to wait
// at; the table follows the quieter runs. Rows are read in order; the first that fits wins.
const CPU_TABLE: readonly BatchRow[] = [
  { maxPixels: 128 * 128, batch: 4 },
  { maxPixels: Number.POSITIVE_INFINITY, batch: 1 },
];

/** On a GPU: not measured (no GPU here); 8, the batch dime animate always had. */
const GPU_BATCH = 8;

/** The default driving frames per batch for frames of `size` on `device`. */
export function autoBatch(size: FrameSize, device: Device): number {
  if (device !== "cpu") return GPU_BATCH;
  const pixels = size.width * size.height;
  return CPU_TABLE.find((row) => pixels <= row.maxPixels)!.batch;
}

/** The rule in words, for --help. */
export const AUTO_BATCH_HELP = "on the CPU 4 up to 128x128 px and 1 above, at 1 and 2 threads; 8 on a GPU";
