// The engine benchmark: per-op overhead and a 3x3 convolution, forward and forward+backward.
import * as torch from "../torch/index.js";
import { time, type Timing } from "./timing.js";

export interface EngineBenchOptions {
  threads: number[];
  /** Calls of the 1-element add for the overhead figure. */
  overheadCalls: number;
  /** Timed runs of each convolution case. */
  convRuns: number;
}

export interface EngineBenchRow {
  threads: number;
  /** Microseconds per 1-element add, including wrapping and freeing the result. */
  opOverheadUs: number;
  convForwardMs: number;
  convForwardGflops: number;
  convForwardBackwardMs: number;
  convForwardBackwardGflops: number;
  /** Fastest runs (steadier than the median on a shared virtual machine). */
  convForwardBestMs: number;
  convForwardBackwardBestMs: number;
}

export interface EngineBenchResult {
  libtorch: string;
  cpu: string;
  conv: string;
  rows: EngineBenchRow[];
}

// 3x3 conv, 64 -> 64 channels, 1x64x64x64 input, padding 1: multiply-adds per forward pass.
const CONV_MACS = 64 * 64 * 64 * 64 * 9;
const FORWARD_FLOP = 2 * CONV_MACS;
// Backward computes the input gradient and the weight gradient, each as costly as the forward.
const FORWARD_BACKWARD_FLOP = 3 * FORWARD_FLOP;

function opOverheadUs(calls: number): number {
  const one = torch.ones([1]);
  const run = () => {
    for (let i = 0; i < calls; i++) one.add(one).dispose();
  };
  run();
  const timing = time(run, 3, 1);
  one.dispose();
  return (timing.medianMs * 1000) / calls;
}

function convTimings(runs: number): { forward: Timing; forwardBackward: Timing } {
  const generator = new torch.Generator(0);
  const x = torch.randn([1, 64, 64, 64], { generator });
  const w = torch.randn([64, 64, 3, 3], { generator }).mul_(0.05).requiresGrad_();
  const b = torch.zeros([64]).requiresGrad_();
  const xg = x.clone().requiresGrad_();
  const forward = time(() => torch.tidy(() => void torch.inferenceMode(() => torch.F.conv2d(x, w, b, { padding: 1 }))), runs);
  const forwardBackward = time(
    () =>
      torch.tidy(() => {
        torch.F.conv2d(xg, w, b, { padding: 1 }).sum().backward();
        for (const t of [xg, w, b]) t.setGrad(undefined);
      }),
    runs,
  );
  torch.dispose([x, w, b, xg]);
  return { forward, forwardBackward };
}

export async function benchEngine(options: EngineBenchOptions, progress?: (message: string) => void): Promise<EngineBenchResult> {
  const original = torch.getNumThreads();
  const rows: EngineBenchRow[] = [];
  try {
    for (const threads of options.threads) {
      torch.setNumThreads(threads);
      progress?.(`threads ${threads}: per-op overhead`);
      const overhead = opOverheadUs(options.overheadCalls);
      progress?.(`threads ${threads}: conv 3x3 64->64 @ 64x64`);
      const conv = convTimings(options.convRuns);
      rows.push({
        threads,
        opOverheadUs: overhead,
        convForwardMs: conv.forward.medianMs,
        convForwardGflops: FORWARD_FLOP / (conv.forward.medianMs * 1e6),
        convForwardBackwardMs: conv.forwardBackward.medianMs,
        convForwardBackwardGflops: FORWARD_BACKWARD_FLOP / (conv.forwardBackward.medianMs * 1e6),
        convForwardBestMs: conv.forward.minMs,
        convForwardBackwardBestMs: conv.forwardBackward.minMs,
      });
    }
  } finally {
    torch.setNumThreads(original);
  }
  const os = await import("node:os");
  return {
    libtorch: torch.libtorchVersion(),
    cpu: `${os.cpus()[0]?.model ?? "unknown"} (${os.cpus().length} logical cores)`,
    conv: "conv2d 3x3, 64->64 channels, input 1x64x64x64, padding 1, float32; forward in inference mode; median and best of the timed runs",
    rows,
  };
}

export function formatEngineBench(result: EngineBenchResult): string {
  const header = [
    "threads",
    "op overhead (us)",
    "conv fwd (ms)",
    "fwd GFLOP/s",
    "best (ms)",
    "conv fwd+bwd (ms)",
    "fwd+bwd GFLOP/s",
    "best (ms)",
  ];
  const lines = result.rows.map((r) =>
    [
      r.threads,
      r.opOverheadUs.toFixed(2),
      r.convForwardMs.toFixed(2),
      r.convForwardGflops.toFixed(1),
      r.convForwardBestMs.toFixed(2),
      r.convForwardBackwardMs.toFixed(2),
      r.convForwardBackwardGflops.toFixed(1),
      r.convForwardBackwardBestMs.toFixed(2),
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join("  ");
  return [`libtorch ${result.libtorch} on ${result.cpu}`, result.conv, fmt(header), ...lines.map(fmt)].join("\n");
}
