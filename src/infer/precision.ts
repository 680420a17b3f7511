// Inference in a chosen precision: libtorch's inference mode with autocast for the device (fp32:
// autocast off), the one scope animate, reconstruction, eval and the benchmarks run the model in.
import * as torch from "../torch/index.js";
import type { Device, Precision } from "../torch/index.js";

/** Runs fn (synchronous) in inference mode, with autocast on `device` in `precision` (default fp32). */
export function inferIn<T>(device: Device, precision: Precision | undefined, fn: () => T): T {
  if (precision === undefined || precision === "fp32") return torch.inferenceMode(fn);
  return torch.inferenceMode(() => torch.withAutocast(device, torch.autocastDtypeOf(precision), fn));
}
