// Where a training step's time goes: the bench's FOMM-equivalent step (64 px, batch 4; src/bench/
// model-peer.ts) split into the forward with its losses, the backward and Adam; with --modules,
// module by module instead, each part's forward and backward timed together (the keypoint detector
// as three calls and joined, the VGG pyramid loss, the dense motion with the generator; PyTorch's
// profiler is no guide here: it inflates convolution_backward several-fold). train_parts.py splits
// PyTorch's GeneratorFullModel step the same way; run the two alternately (docs/speed.md).
//   node --single-threaded-gc --import tsx experiments/speed/train-parts.ts [--threads 2] [--runs 6] [--modules]
// Prints one JSON line: per part, the median and min ms over the runs (after 2 warm-ups).
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import type { Keypoints } from "../../src/dime/keypoint_detector.js";
import { DiME } from "../../src/dime/dime.js";
import { fommTrainConfig, trainStepParts } from "../../src/bench/model-peer.js";
import { hashVgg19Weights } from "../../src/dime/losses/vgg19-hash.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const threads = arg("--threads", 2);
const runs = arg("--runs", 6);
const modules = process.argv.includes("--modules");
torch.setNumThreads(threads);
// As the bench: its forward cases ran first, so freed memory is kept.
torch.retainFreedMemory();

const config = fommTrainConfig();
torch.manualSeed(0);
const model = new DiME(config.model_params).train();
const vggWeights = hashVgg19Weights();
const { objective, loss, optimizer } = trainStepParts(config, model, vggWeights);
torch.dispose([...vggWeights.values()]);
const samples = new Map<string, number[]>();
const add = (name: string, ms: number) => samples.set(name, [...(samples.get(name) ?? []), ms]);
if (modules) timeModules();
else timeStep();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out: Record<string, [number, number]> = {};
for (const [k, v] of samples) out[k] = [Number(median(v).toFixed(1)), Number(Math.min(...v).toFixed(1))];
console.log(JSON.stringify({ runner: "dime", threads, runs, parts: out }));

/** The whole step, split by its phases. */
function timeStep(): void {
  const generator = new torch.Generator(1);
  const image = () => torch.rand([4, 3, 64, 64], { generator });
  const batch = { source: image(), driving: image(), references: [] };
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
}

/** Each module's forward and backward, on inputs as the step gives them. */
function timeModules(): void {
  const generator = new torch.Generator(0);
  const image = () => torch.rand([4, 3, 64, 64], { generator });
  const [source, driving, warped, target] = [image(), image(), image(), image()];
  const prediction = image().requiresGrad_();
  /** Keypoints that require grad, as the detector's would: values in [-1, 1], Jacobians near the identity. */
  const keypoints = (): Keypoints => ({
    value: torch.rand([4, 10, 2], { generator }).mul(2).sub(1).requiresGrad_(),
    jacobian: torch
      .eye(2)
      .view(1, 1, 2, 2)
      .expand(4, 10, 2, 2)
      .add(torch.randn([4, 10, 2, 2], { generator }).mul(0.1))
      .requiresGrad_(),
  });
  const [kpSource, kpDriving] = [keypoints(), keypoints()];
  const kpLoss = (kps: Keypoints[]): Tensor =>
    kps.map((kp) => kp.value.square().sum().add(kp.jacobian!.square().sum())).reduce((sum, term) => sum.add(term));
  const parts: Record<string, () => void> = {
    "detector, three calls": () => kpLoss([source, driving, warped].map((images) => model.keypoints(images, true))).backward(),
    "detector, joined": () => kpLoss(model.keypointsOfEach([source, driving, warped], true)).backward(),
    "VGG pyramid loss": () => loss.forward(prediction, target).total.backward(),
    "dense motion and generator": () =>
      model
        .animateFrame(model.generator.prepare(source, kpSource, 1), kpDriving)
        .prediction.mul(target)
        .sum()
        .backward(),
  };
  for (const [name, run] of Object.entries(parts)) {
    for (let r = 0; r < runs + 2; r++) {
      model.zeroGrad();
      prediction.setGrad(undefined);
      const start = performance.now();
      torch.tidy(run);
      if (r >= 2) add(name, performance.now() - start);
    }
  }
}
