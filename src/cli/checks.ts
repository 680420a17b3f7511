// Flag checks the commands that run a model share: required values, integer ranges, the device,
// an output path that can be written, and a frames progress line with ETA.
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

import { cuda, cpuHasNativeBf16, parseDevice, precisionProblem, resolvePrecision, PRECISION_CHOICES } from "../torch/index.js";
import type { Device, Precision, PrecisionChoice } from "../torch/index.js";
import type { OdeMethod } from "../dime/config/schema.js";
import type { OdeSettings } from "../dime/motion_ode.js";
import { MediaError } from "../media/errors.js";
import { videoFormatFor } from "../media/video-formats.js";
import { UsageError } from "./command.js";

/** Refuses positional arguments for a command that takes flags only. @throws UsageError naming the first. */
export function noArguments(positional: readonly string[], command: string): void {
  if (positional.length > 0) throw new UsageError(`unexpected argument '${positional[0]}' (see dime ${command} --help)`);
}

/** The string flag `--name`, or a UsageError naming it and the command's help. */
export function required<N extends string>(flags: { [K in N]?: string }, name: N, what: string, command: string): string {
  const value = flags[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} ${what} is required (see dime ${command} --help)`);
  return value;
}

/** The integer flag `--name` when given, checked to lie in min..max. */
export function inRange<N extends string>(flags: { [K in N]?: number }, name: N, min: number, max: number): number | undefined {
  const value = flags[name];
  if (value !== undefined && !(value >= min && value <= max))
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${value}`);
  return value;
}

/** The device a `--device` flag names (default cpu); CUDA only when this libtorch can use it. */
export function deviceOf(name = "cpu"): Device {
  let device: Device;
  try {
    device = parseDevice(name);
  } catch (error) {
    throw new UsageError(`--device: ${(error as Error).message}`);
  }
  if (device !== "cpu" && !cuda.isAvailable())
    throw new UsageError(`--device ${name}: this libtorch has no CUDA or no GPU is visible; use --device cpu`);
  return device;
}

/** Fails early, before any work, when `folder` is missing or cannot be written in. */
export function checkWritableFolder(folder: string, forPath = folder): void {
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new MediaError(forPath, "write", `folder ${folder} does not exist: create it first`);
  const probe = join(folder, `.dime-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, "wx"));
    rmSync(probe);
  } catch (error) {
    throw new MediaError(
      forPath,
      "write",
      `cannot write in folder ${folder} (${(error as NodeJS.ErrnoException).code ?? String(error)}): pick a writable folder`,
    );
  }
}

/** Fails early when the video `path` cannot be written: an unknown format, or its folder missing or read-only. */
export function checkWritable(path: string): void {
  videoFormatFor(path);
  checkWritableFolder(dirname(path.replace(/\/+$/, "")), path);
}

/** A progress line with the rate and the time left, on a terminal only (logs and pipes stay clean). */
export function frameProgress(total: number, stream: NodeJS.WriteStream = process.stderr) {
  const start = performance.now();
  const tty = stream.isTTY;
  return {
    searched(done: number) {
      if (tty) stream.write(`\r  finding the best frame: ${done}/${total} frames`);
    },
    tracked(done: number) {
      if (tty) stream.write(`\r\x1b[K  tracking the face: ${done}/${total} frames`);
    },
    animated(done: number, what = "") {
      if (!tty) return;
      const seconds = (performance.now() - start) / 1000;
      const rate = done / seconds;
      const left = Math.max(0, total - done) / rate;
      const eta = `${Math.floor(left / 60)}:${String(Math.round(left % 60)).padStart(2, "0")}`;
      stream.write(
        `\r\x1b[K  ${done}/${total} frames, ${rate.toFixed(1)} frames/s, ETA ${eta}${what ? ` ${what}` : ""}${done >= total ? "\n" : ""}`,
      );
    },
  };
}

/** The MotionODE settings of `--ode-steps` and `--ode-method` (empty: the config's). */
export function odeFlags(flags: { "ode-steps"?: number; "ode-method"?: string }): Partial<OdeSettings> {
  const steps = inRange(flags, "ode-steps", 1, 1000);
  const method = flags["ode-method"];
  if (method !== undefined && !["euler", "midpoint", "rk4"].includes(method))
    throw new UsageError(`--ode-method must be euler, midpoint or rk4, got '${method}'`);
  const ode: Partial<OdeSettings> = {};
  if (steps !== undefined) ode.steps = steps;
  if (method !== undefined) ode.method = method as OdeMethod;
  return ode;
}

/** Makes the output folder `folder` (and its parents) unless it exists, and checks it can be written in. */
export function makeOutputFolder(folder: string): void {
  if (existsSync(folder) && !statSync(folder).isDirectory())
    throw new UsageError(`${folder}: exists and is not a folder; pick another output folder`);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new UsageError(
      `${folder}: cannot make this folder (${(error as NodeJS.ErrnoException).code ?? String(error)}); pick another output folder`,
    );
  }
  checkWritableFolder(folder);
}

/** The help of `--precision`, the same for every command that has it, its text starting at `column`. */
export function precisionHelp(column = 24): string {
  const lines = [
    "fp32 (default); bf16 or fp16 through autocast, the delicate parts",
    "(heatmap softmax, keypoints, sampling grids, the output) in fp32; fp16",
    "needs CUDA; auto: bf16 on CUDA and on CPUs with AVX512-BF16/AMX, else",
    "fp32 (docs/precision.md)",
  ];
  return lines.map((line, i) => (i === 0 ? "  --precision P".padEnd(column) : " ".repeat(column)) + line).join("\n");
}

/**
 * The precision `--precision` names on `device` (default fp32; auto resolved): one line for an
 * unknown value or fp16 on the CPU, a note on stderr for bf16 on a CPU that only emulates it.
 */
export function precisionOf(value: string | undefined, device: Device, command: string): Precision {
  const choice = value ?? "fp32";
  if (!PRECISION_CHOICES.includes(choice as PrecisionChoice))
    throw new UsageError(`--precision must be ${PRECISION_CHOICES.join(", ")}, got '${choice}'`);
  const precision = resolvePrecision(choice as PrecisionChoice, device);
  const problem = precisionProblem(precision, device);
  if (problem) throw new UsageError(`--precision ${choice}: ${problem}`);
  if (precision === "bf16" && device === "cpu" && !cpuHasNativeBf16())
    process.stderr.write(`dime ${command}: note: this CPU has no AVX512-BF16 or AMX: bf16 is emulated and slower than fp32\n`);
  return precision;
}
