// The training step module by module: each part of the bench's FOMM-equivalent step (64 px,
// batch 4; src/bench/model-peer.ts) timed forward and backward together, in training mode.
// train_modules.py times FOMM's own modules the same way; run the two alternately (docs/speed.md,
// sixth pass). PyTorch's profiler is no guide here: it inflates convolution_backward several-fold.
//   node --single-threaded-gc --import tsx experiments/speed/train-modules.ts [--threads 2] [--runs 8]
// Prints one JSON line: per part, the median and min ms over the runs (after 3 warm-ups).
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { DiME } from "../../src/dime/dime.js";
import type { Keypoints } from "../../src/dime/keypoint_detector.js";
import { fommTrainConfig, trainStepParts } from "../../src/bench/model-peer.js";
import { hashVgg19Weights } from "../../src/dime/losses/vgg19-hash.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const threads = arg("--threads", 2);
const runs = arg("--runs", 8);
torch.setNumThreads(threads);
torch.retainFreedMemory();

const config = fommTrainConfig();
torch.manualSeed(0);
const model = new DiME(config.model_params).train();
const vggWeights = hashVgg19Weights();
const { loss } = trainStepParts(config, model, vggWeights);
torch.dispose([...vggWeights.values()]);
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
const out: Record<string, [number, number]> = {};
for (const [name, run] of Object.entries(parts)) {
  const times: number[] = [];
  for (let r = 0; r < runs + 3; r++) {
    model.zeroGrad();
    prediction.setGrad(undefined);
    const start = performance.now();
    torch.tidy(run);
    if (r >= 3) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  out[name] = [Number(times[Math.floor(times.length / 2)].toFixed(1)), Number(times[0].toFixed(1))];
}
console.log(JSON.stringify({ runner: "dime", threads, runs, parts: out }));
