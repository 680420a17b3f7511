// Precision: the one switch (fp32, bf16, fp16, auto) every command shares, what it means on
// each device, and whether this CPU computes bf16 natively.
import { readFileSync } from "node:fs";

import type { AutocastDtype } from "./autocast.js";
import type { Device } from "./device.js";

export type Precision = "fp32" | "bf16" | "fp16";
export type PrecisionChoice = Precision | "auto";
export const PRECISION_CHOICES: readonly PrecisionChoice[] = ["fp32", "bf16", "fp16", "auto"];

/** The autocast dtype of a precision (fp32: autocast off). */
export function autocastDtypeOf(precision: Precision): AutocastDtype | "float32" {
  return precision === "bf16" ? "bfloat16" : precision === "fp16" ? "float16" : "float32";
}

let cpuFlags: Set<string> | undefined;

/** The flags of the first CPU in /proc/cpuinfo (empty where there is no such file). */
function readCpuFlags(): Set<string> {
  if (cpuFlags !== undefined) return cpuFlags;
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    const line = /^flags\s*:(.*)$/m.exec(text);
    cpuFlags = new Set((line?.[1] ?? "").trim().split(/\s+/));
  } catch {
    cpuFlags = new Set();
  }
  return cpuFlags;
}

/**
 * True when this CPU has bf16 arithmetic in hardware (AVX512-BF16 or AMX-BF16), so oneDNN runs
 * bf16 convolutions faster than fp32; elsewhere libtorch emulates bf16, slower than fp32.
 */
export function cpuHasNativeBf16(): boolean {
  const flags = readCpuFlags();
  return flags.has("avx512_bf16") || flags.has("amx_bf16");
}

/** Why a precision cannot run on a device, or undefined when it can. */
export function precisionProblem(precision: Precision, device: Device): string | undefined {
  if (precision === "fp16" && device === "cpu")
    return "fp16 needs a CUDA device (libtorch's CPU kernels have no fast fp16); on the CPU use --precision bf16 or fp32";
  return undefined;
}

/**
 * The precision `auto` stands for on a device: bf16 on CUDA (fp32's range, so no loss scaling)
 * and on CPUs with native bf16; fp32 elsewhere. Other choices stand for themselves.
 */
export function resolvePrecision(choice: PrecisionChoice, device: Device): Precision {
  if (choice !== "auto") return choice;
  if (device !== "cpu") return "bf16";
  return cpuHasNativeBf16() ? "bf16" : "fp32";
}
