// `dime bench io`: how fast dime's PyTorch checkpoint reader is, and how much memory it takes, on
// checkpoint files the user gives (a zip and a legacy torch.save of ~250 MB are the reference
// case; experiments/fomm/fomm_reference.py sizes writes them), each read in a fresh process, against
// torch.load(weights_only=True) in Python when a Python with torch is there; and, optionally, more
// fuzz cases than the test suite runs.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { basename } from "node:path";

import { fuzzTorchCheckpoint, type FuzzReport } from "./torch-fuzz.js";

export interface IoBenchOptions {
  /** Checkpoint files to read (.pth, .pth.tar; zip or legacy). */
  files: string[];
  /** Fresh-process reads per file and reader (the median is reported). */
  runs: number;
  /** A Python with torch for the torch.load figures ("" to skip). */
  python: string;
  /** Files to fuzz, and cases per file (0: no fuzzing). */
  fuzzFiles: string[];
  fuzzCases: number;
}

export interface ReadFigure {
  reader: "dime" | "torch.load";
  seconds: number;
  megabytesPerSecond: number;
  /** Resident memory before the read (runtime loaded) and at the peak, MiB. */
  baselineRssMiB: number;
  peakRssMiB: number;
  /** (peak - baseline) / the tensors' size. */
  peakOverTensors: number;
  runs: number;
  /** torch.load: its version and whether weights_only was used. */
  note?: string;
}

export interface IoFileResult {
  file: string;
  fileMiB: number;
  tensorMiB: number;
  figures: ReadFigure[];
  /** Why torch.load was not measured, when it was not. */
  torchUnavailable?: string;
}

export interface IoBenchResult {
  files: IoFileResult[];
  fuzz: FuzzReport[];
}

interface ChildReport {
  /** torch.load's mode (weights_only or not) and torch version. */
  mode?: string;
  torch?: string;
  seconds: number;
  tensorBytes: number;
  baselineRssMiB: number;
  peakRssMiB: number;
}

const TORCH_LOAD = `
import json, resource, sys, time
import torch
torch.ones(1).add(1)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
mode = "weights_only=True"
try:
    obj = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
except Exception:
    # torch before 2.x: no weights_only, or one that refuses floats (BINFLOAT); the file is the
    # user's own benchmark file, so the ordinary unpickler is used, and the mode reported.
    mode = "weights_only=False"
    start = time.perf_counter()
    obj = torch.load(sys.argv[1], map_location="cpu")
seconds = time.perf_counter() - start
seen, total = set(), 0
def walk(v):
    global total
    if isinstance(v, torch.Tensor):
        key = (v.storage().data_ptr(), v.storage_offset(), tuple(v.shape))
        if key not in seen:
            seen.add(key); total += v.numel() * v.element_size()
    elif isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, (list, tuple)):
        for x in v: walk(x)
walk(obj)
print(json.dumps({"mode": mode, "torch": torch.__version__, "seconds": seconds, "tensorBytes": total, "baselineRssMiB": base, "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

function lastJson(stdout: string): ChildReport {
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as ChildReport;
}

function dimeRead(file: string): ChildReport {
  const child = new URL(`./io-read-child${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).pathname;
  const loader = child.endsWith(".ts") ? ["--import", "tsx"] : [];
  const result = spawnSync(process.execPath, [...loader, child, file], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`reading ${file} failed: ${result.stderr.trim().split("\n").at(-1)}`);
  return lastJson(result.stdout);
}

function torchRead(python: string, file: string): ChildReport | string {
  const result = spawnSync(python, ["-c", TORCH_LOAD, file], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (result.error) return `${python}: ${result.error.message}`;
  if (result.status !== 0) return `${python}: ${result.stderr.trim().split("\n").at(-1)}`;
  return lastJson(result.stdout);
}

function figure(reader: ReadFigure["reader"], reports: ChildReport[]): ReadFigure {
  const sorted = [...reports].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor(sorted.length / 2)];
  const peak = Math.max(...reports.map((r) => r.peakRssMiB - r.baselineRssMiB));
  const tensorMiB = median.tensorBytes / 2 ** 20;
  return {
    reader,
    seconds: median.seconds,
    megabytesPerSecond: median.tensorBytes / 1e6 / median.seconds,
    baselineRssMiB: median.baselineRssMiB,
    peakRssMiB: Math.max(...reports.map((r) => r.peakRssMiB)),
    peakOverTensors: peak / tensorMiB,
    runs: reports.length,
    ...(median.mode ? { note: `torch ${median.torch}, ${median.mode}` } : {}),
  };
}

export function benchIo(options: IoBenchOptions, log: (message: string) => void = () => {}): IoBenchResult {
  const files: IoFileResult[] = [];
  for (const file of options.files) {
    log(`reading ${basename(file)} ${options.runs} times in fresh processes (dime)`);
    const dime = Array.from({ length: options.runs }, () => dimeRead(file));
    const result: IoFileResult = {
      file,
      fileMiB: statSync(file).size / 2 ** 20,
      tensorMiB: dime[0].tensorBytes / 2 ** 20,
      figures: [figure("dime", dime)],
    };
    if (options.python) {
      log(`reading ${basename(file)} ${options.runs} times with torch.load (${options.python})`);
      const torch: ChildReport[] = [];
      for (let i = 0; i < options.runs; i++) {
        const report = torchRead(options.python, file);
        if (typeof report === "string") {
          result.torchUnavailable = report;
          break;
        }
        torch.push(report);
      }
      if (torch.length > 0) result.figures.push(figure("torch.load", torch));
    } else {
      result.torchUnavailable = "no --python given";
    }
    files.push(result);
  }
  const fuzz =
    options.fuzzCases > 0
      ? options.fuzzFiles.map((file) => {
          log(`fuzzing ${basename(file)}: ${options.fuzzCases} cases`);
          return fuzzTorchCheckpoint(file, { seed: 16, cases: options.fuzzCases, seconds: 3600 });
        })
      : [];
  return { files, fuzz };
}

export function formatIoBench(result: IoBenchResult): string {
  const lines = ["file                                     reader      tensors MiB   seconds     MB/s   peak RSS - baseline (x tensors)"];
  for (const f of result.files) {
    for (const g of f.figures) {
      const peak = `${(g.peakRssMiB - g.baselineRssMiB).toFixed(0)} MiB (${g.peakOverTensors.toFixed(2)}x)`;
      lines.push(
        `${basename(f.file).padEnd(40)} ${g.reader.padEnd(11)} ${f.tensorMiB.toFixed(1).padStart(11)} ${g.seconds.toFixed(3).padStart(9)} ${g.megabytesPerSecond.toFixed(0).padStart(8)}   ${peak}${g.note ? `  (${g.note})` : ""}`,
      );
    }
    if (f.torchUnavailable) lines.push(`${"".padEnd(40)} torch.load  unavailable: ${f.torchUnavailable}`);
  }
  for (const z of result.fuzz) {
    lines.push(
      `fuzz ${basename(z.file)}: ${z.cases} cases in ${z.seconds.toFixed(1)} s, ${z.loaded} loaded, ${z.refused} refused with the reader's error, ${z.unexpected.length} other errors, slowest ${z.slowestMs.toFixed(0)} ms, RSS growth ${(z.peakRssGrowth / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  return lines.join("\n");
}
