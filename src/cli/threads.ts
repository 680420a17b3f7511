// `--threads N` for the commands that compute: libtorch's intra-op threads, by default one per
// core the process may use (os.availableParallelism), so every command behaves the same way.
import { availableParallelism } from "node:os";
import { setNumThreads } from "../torch/index.js";
import { inRange } from "./checks.js";

/** The help line, padded to the command's column. */
export function threadsHelp(column: number): string {
  return `  ${"--threads N".padEnd(column - 2)}libtorch threads (default: one per core, ${availableParallelism()} here)`;
}

/** Sets libtorch's threads from `--threads` (checked: 1..1024) or the core count; returns the count. */
export function applyThreads(flags: { threads?: number }): number {
  const threads = inRange(flags, "threads", 1, 1024) ?? availableParallelism();
  setNumThreads(threads);
  return threads;
}
