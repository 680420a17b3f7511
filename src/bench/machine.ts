// The machine a benchmark ran on, for its JSON: CPU model, cores, memory, libtorch, and how busy
// the machine was (the load average, and the CPU other processes used while a figure was timed),
// since other processes skew timings on a small VM: with one core of two taken, libtorch's second
// thread waits for the scheduler at every parallel region, and 2-thread figures grow many times.
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";

import * as torch from "../torch/index.js";

export interface MachineInfo {
  /** `model name` from /proc/cpuinfo (os.cpus() where there is none). */
  cpu: string;
  logicalCores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  /** Node's and V8's command-line flags (bin/dime.js starts V8 with --single-threaded-gc). */
  nodeFlags: string[];
  libtorch: string;
  /** OpenBLAS's own threads (1: on the calling thread; -1: no OpenBLAS under libtorch). */
  blasThreads: number;
  /** libtorch's intra-op threads when the benchmark started (each figure names its own). */
  defaultThreads: number;
  /** 1, 5 and 15 minute load averages when the benchmark started. */
  loadAverage: number[];
}

/** The CPU's model name from /proc/cpuinfo, else from os.cpus(), else "unknown". */
export function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    const name = line?.split(":")[1]?.trim();
    if (name) return name;
  } catch {
    // Not Linux: fall through to os.cpus().
  }
  return cpus()[0]?.model ?? "unknown";
}

export function machineInfo(): MachineInfo {
  return {
    cpu: cpuModel(),
    logicalCores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    nodeFlags: [...process.execArgv],
    libtorch: torch.libtorchVersion(),
    blasThreads: torch.blasThreads(),
    defaultThreads: torch.getNumThreads(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** A point in time for otherProcessCores: the machine's busy CPU time and this process's. */
export interface CpuSnapshot {
  wallMs: number;
  /** Busy time of all CPUs (user, nice, system, irq, softirq, steal) in ms; undefined without /proc/stat. */
  machineBusyMs?: number;
  ownMs: number;
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

export function cpuSnapshot(): CpuSnapshot {
  const own = process.cpuUsage();
  let machineBusyMs: number | undefined;
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    machineBusyMs = (user + nice + system + irq + softirq + steal) * CLOCK_TICK_MS;
  } catch {
    // Not Linux: no machine-wide figure.
  }
  return { wallMs: performance.now(), machineBusyMs, ownMs: (own.user + own.system) / 1000 };
}

/**
 * Cores' worth of CPU that other processes used between two snapshots (0.9: nearly one core
 * busy elsewhere), to 2 decimals; undefined without /proc/stat. Coarse (10 ms ticks) over short spans.
 */
export function otherProcessCores(start: CpuSnapshot, end: CpuSnapshot): number | undefined {
  if (start.machineBusyMs === undefined || end.machineBusyMs === undefined || end.wallMs <= start.wallMs) return undefined;
  const other = end.machineBusyMs - start.machineBusyMs - (end.ownMs - start.ownMs);
  return Math.max(0, Math.round((other / (end.wallMs - start.wallMs)) * 100) / 100);
}
