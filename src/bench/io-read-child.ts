// The child process of `dime bench io`: reads one PyTorch checkpoint with readTorchCheckpoint and
// prints, as JSON, the seconds it took, the tensors' bytes and the process's resident memory before
// (libtorch loaded) and at its peak. Usage: node io-read-child.js FILE
import * as torch from "../torch/index.js";
import { readTorchCheckpoint } from "../io/torch-checkpoint.js";

const path = process.argv[2];
torch.tidy(() => torch.ones([1]).add(1)); // load libtorch before the baseline
const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
const start = performance.now();
const checkpoint = readTorchCheckpoint(path);
const seconds = (performance.now() - start) / 1000;
let tensorBytes = 0;
const seen = new Set<unknown>();
for (const t of checkpoint.tensors.values()) {
  if (seen.has(t)) continue;
  seen.add(t);
  tensorBytes += t.numel * torch.bytesPerElement(t.dtype);
}
console.log(
  JSON.stringify({
    seconds,
    tensorBytes,
    tensors: checkpoint.tensors.size,
    baselineRssMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
