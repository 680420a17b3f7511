// Where a training step's time goes: the bench's FOMM-equivalent step (64 px, batch 4; src/bench/
// model-peer.ts) split into the forward with its losses, the backward and Adam. train_parts.py
// splits PyTorch's GeneratorFullModel step the same way; run the two alternately (docs/speed.md).
//   node --single-threaded-gc --import tsx experiments/speed/train-parts.ts [--threads 2] [--runs 6]
// Prints one JSON line: per part, the median and min ms over the runs (after 2 warm-ups).
import * as torch from "../../src/torch/index.js";
import { DiME } from "../../src/dime/dime.js";
import { fommTrainConfig, trainStepParts } from "../../src/bench/model-peer.js";
import { hashVgg19Weights } from "../../src/dime/losses/vgg19-hash.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const threads = arg("--threads", 2);
const runs = arg("--runs", 6);
torch.setNumThreads(threads);
// As the bench: its forward cases ran first, so freed memory is kept.
torch.retainFreedMemory();

const config = fommTrainConfig();
torch.manualSeed(0);
const model = new DiME(config.model_params).train();
const vggWeights = hashVgg19Weights();
const { objective, optimizer } = trainStepParts(config, model, vggWeights);
torch.dispose([...vggWeights.values()]);
const generator = new torch.Generator(1);
const image = () => torch.rand([4, 3, 64, 64], { generator });
const batch = { source: image(), driving: image(), references: [] };

const samples = new Map<string, number[]>();
const add = (name: string, ms: number) => samples.set(name, [...(samples.get(name) ?? []), ms]);
for (let r = 0; r < runs + 2; r++) {
  const times: [string, number][] = [];
  let last = performance.now();
  const mark = (name: string) => {
    const now = performance.now();
    times.push([name, now - last]);
    last = now;
  };
  const start = last;
  torch.tidy(() => {
    optimizer.zeroGrad();
    const total = objective.compute(batch, generator).total;
    mark("forward and losses");
    total.backward();
    mark("backward");
    optimizer.step();
    mark("adam");
  });
  mark("free");
  times.push(["step", performance.now() - start]);
  if (r >= 2) for (const [name, ms] of times) add(name, ms);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out: Record<string, [number, number]> = {};
for (const [k, v] of samples) out[k] = [Number(median(v).toFixed(1)), Number(Math.min(...v).toFixed(1))];
console.log(JSON.stringify({ runner: "dime", threads, runs, parts: out }));
