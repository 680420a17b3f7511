// The generator's last up block (128 -> 64 channels, 128x128 -> 256x256, channels-last) run as
// the inference fold runs it (nn/fold.ts: four 2x2 convolutions and four strided copies), against
// the same convolution alone; median ms of 10 after 4 warm-ups. Run it with and without V8's
// background GC to see the copies slow down when a GC helper thread takes a core (docs/speed.md):
//   node --import tsx experiments/speed/up-block.ts 2
//   node --single-threaded-gc --import tsx experiments/speed/up-block.ts 2
import * as torch from "../../src/torch/index.js";
import { convolveUpsampled, upsampledConvWeights } from "../../src/nn/fold.js";

const threads = Number(process.argv[2] ?? 2);
torch.setNumThreads(threads);
torch.retainFreedMemory();
const x = torch.rand([1, 128, 128, 128]).toChannelsLast();
const { weight, bias } = upsampledConvWeights(torch.rand([64, 128, 3, 3]).sub(0.5).mul(0.1), torch.rand([64]));
const phases = weight.toChannelsLast();
const now = () => Number(process.hrtime.bigint()) / 1e6;
const times: Record<string, number[]> = { "2x2 convolution": [], "up block (convolution and copies)": [] };
for (let i = 0; i < 14; i++)
  torch.tidy(() =>
    torch.inferenceMode(() => {
      const a = now();
      torch.F.conv2d(x, phases, bias, { padding: 1 });
      const b = now();
      convolveUpsampled(x, phases, bias);
      const c = now();
      if (i < 4) return;
      times["2x2 convolution"].push(b - a);
      times["up block (convolution and copies)"].push(c - b);
    }),
  );
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1].toFixed(1);
console.log(
  JSON.stringify({ threads, flags: process.execArgv, ms: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) }),
);
