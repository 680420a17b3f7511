// `dime bench checksum`: what the SHA-256 checked on every checkpoint load costs (src/io/
// safetensors.ts hashes the bytes as it reads them): loading the demo model's weights and a
// ~250 MB checkpoint with and without the check, and hashing alone. Files are read from the page
// cache (warm-up runs first), which is the case where the hash's share is largest.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as torch from "../torch/index.js";
import { sha256OfFile } from "../checkpoint/files.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import { machineInfo, type MachineInfo } from "./machine.js";
import type { Timing } from "./timing.js";

export interface ChecksumCase {
  name: string;
  path: string;
  megabytes: number;
  /** Reading every tensor into libtorch, unchecked. */
  load: Timing;
  /** The same with the SHA-256 computed while reading and compared. */
  loadChecked: Timing;
  /** Hashing the file alone (read in 4 MiB chunks). */
  hashOnly: Timing;
  /** loadChecked / load - 1, from the medians. */
  overhead: number;
  /** MB/s of hashOnly. */
  hashMBps: number;
  /** Writing it (writeSafetensors: temp file, hash, fsync, rename), one run: only for the synthetic file. */
  saveMs?: number;
}

export interface ChecksumBench {
  machine: MachineInfo;
  threads: number;
  cases: ChecksumCase[];
}

/** The demo model, and a synthetic checkpoint of `megabytes` (float32 tensors of 4 MB each). */
export function benchChecksum(
  options: { demo: string; megabytes?: number; runs?: number },
  log: (message: string) => void = () => undefined,
): ChecksumBench {
  const runs = options.runs ?? 5;
  const machine = machineInfo();
  const folder = mkdtempSync(join(tmpdir(), "dime-bench-checksum-"));
  try {
    const cases = [measure("demo model", options.demo, runs, log)];
    const megabytes = options.megabytes ?? 250;
    const big = join(folder, "big.safetensors");
    log(`writing a ${megabytes} MB checkpoint in ${folder}`);
    const started = performance.now();
    torch.tidy(() => {
      const tensors = new Map<string, torch.Tensor>();
      for (let i = 0; i < Math.ceil(megabytes / 4); i++) tensors.set(`layer${i}.weight`, torch.randn([1024, 1024]));
      writeSafetensors(big, tensors);
    });
    const saveMs = performance.now() - started;
    cases.push({ ...measure(`${megabytes} MB checkpoint`, big, Math.max(3, Math.ceil(runs / 2)), log), saveMs });
    return { machine, threads: torch.getNumThreads(), cases };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function measure(name: string, path: string, runs: number, log: (message: string) => void): ChecksumCase {
  log(`${name}: ${path}`);
  const sha256 = sha256OfFile(path);
  const variants = [
    () => torch.tidy(() => void readSafetensors(path)),
    () => torch.tidy(() => void readSafetensors(path, { sha256 })),
    () => void sha256OfFile(path),
  ];
  // Interleaved, so that a neighbour's load on a shared machine falls on all three alike.
  const samples: number[][] = [[], [], []];
  for (let run = -1; run < runs; run++) {
    variants.forEach((fn, i) => {
      const started = performance.now();
      fn();
      if (run >= 0) samples[i].push(performance.now() - started); // run -1 warms up
    });
  }
  const [load, loadChecked, hashOnly] = samples.map((list) => summary(list));
  const bytes = statSync(path).size;
  return {
    name,
    path,
    megabytes: bytes / 1e6,
    load,
    loadChecked,
    hashOnly,
    overhead: loadChecked.medianMs / load.medianMs - 1,
    hashMBps: bytes / 1e6 / (hashOnly.medianMs / 1000),
  };
}

function summary(list: number[]): Timing {
  const sorted = list.slice().sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)], minMs: sorted[0], runs: sorted.length };
}

/** The table `dime bench checksum` prints. */
export function formatChecksumBench(result: ChecksumBench): string {
  const { machine } = result;
  const lines = [
    `checksum on load (SHA-256, node:crypto) on ${machine.cpu}, ${machine.logicalCores} logical cores, load average ${machine.loadAverage.map((l) => l.toFixed(1)).join(" ")}, ${result.threads} libtorch threads; files in the page cache`,
    "case                      MB   load ms  checked ms  overhead  hash alone ms  hash MB/s  save ms",
  ];
  for (const c of result.cases) {
    lines.push(
      `${c.name.padEnd(22)} ${c.megabytes.toFixed(1).padStart(6)}  ${c.load.medianMs.toFixed(1).padStart(8)}  ${c.loadChecked.medianMs.toFixed(1).padStart(10)}  ${`${(100 * c.overhead).toFixed(0)}%`.padStart(8)}  ${c.hashOnly.medianMs.toFixed(1).padStart(13)}  ${c.hashMBps.toFixed(0).padStart(9)}  ${c.saveMs === undefined ? "-" : c.saveMs.toFixed(0)}`,
    );
  }
  return lines.join("\n");
}
