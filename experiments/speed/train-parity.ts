// Is `dime bench model`'s training step PyTorch's? Runs dime's FOMM-equivalent step (the bench's
// fommTrainConfig and trainStepParts) on the weights, batch, VGG-19 weights and equivariance warp
// that experiments/speed/train_parity.py wrote from FOMM's GeneratorFullModel step, and prints
// each loss term on both sides, the gradients' and the post-Adam parameters' largest differences.
//   FOMM_DIR=... /usr/bin/python3 experiments/speed/train_parity.py DIR [SEED]
//   node --import tsx experiments/speed/train-parity.ts DIR [--threads N]
import * as torch from "../../src/torch/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { importFommCheckpoint } from "../../src/checkpoint/fomm-import.js";
import { readTorchCheckpoint } from "../../src/io/torch-checkpoint.js";
import { Transform } from "../../src/dime/losses/transform.js";
import { fommTrainConfig, trainStepParts } from "../../src/bench/model-peer.js";

/**
 * Biases of the convolutions a training-mode batch norm follows (FOMM's DownBlock2d, UpBlock2d,
 * SameBlock2d and ResBlock2d's conv1): the norm subtracts the batch mean, so their gradient is
 * zero and each side computes only rounding noise. So is the keypoint heatmaps' bias's: a constant
 * per heatmap does not change its spatial softmax.
 */
const BEFORE_BATCH_NORM = /(down_blocks\.\d+|up_blocks\.\d+|first)\.conv\.bias$|\.conv1\.bias$|^kp_detector\.kp\.bias$/;

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node --import tsx experiments/speed/train-parity.ts DIR [--threads N]  (DIR from train_parity.py)");
  process.exit(2);
}
const threadsAt = process.argv.indexOf("--threads");
if (threadsAt > 0) torch.setNumThreads(Number(process.argv[threadsAt + 1]));

const config = fommTrainConfig();
const { model } = importFommCheckpoint(`${dir}/fomm.pth.tar`, config);
model.train();
const step = readTorchCheckpoint(`${dir}/step.pth`).tensors;
const get = (name: string): Tensor => {
  const t = step.get(name);
  if (!t) throw new Error(`${dir}/step.pth has no ${name}`);
  return t;
};
// --float64 DIR64: train_parity.py's DOUBLE=1 run of the same step; both float32 sides are compared with it.
const float64At = process.argv.indexOf("--float64");
const wide = float64At > 0 ? readTorchCheckpoint(`${process.argv[float64At + 1]}/step.pth`).tensors : undefined;
const vggWeights = new Map([...step].filter(([name]) => name.startsWith("vgg.")).map(([name, t]) => [name.slice(4), t]));
const { objective, loss, optimizer } = trainStepParts(config, model, vggWeights);
const lrs = get("lr").toArray() as number[];

const report = torch.tidy(() => {
  const transform = new Transform(get("transform.theta"), get("transform.control_points"), get("transform.control_params"));
  const batch = { source: get("source"), driving: get("driving"), references: [] };
  optimizer.zeroGrad();
  const result = objective.compute(batch, undefined, { transform });
  result.total.backward();
  const losses: Record<string, { dime: number; pytorch: number; relative: number }> = {};
  for (const [name, value] of [...result.losses, ["total", result.total] as const]) {
    const dime = value.item() as number;
    const pytorch = get(`loss.${name}`).item() as number;
    losses[name] = { dime, pytorch, relative: Math.abs(dime - pytorch) / Math.abs(pytorch) };
  }
  const missing = [...step.keys()].filter((k) => k.startsWith("loss.") && k !== "loss.total" && !result.losses.has(k.slice(5)));
  // Gradients: per parameter, the largest |dime - PyTorch| over the largest |PyTorch| (relative to the tensor's scale).
  const params = [...model.namedParameters()];
  const grads = params.map(([name, p]) => {
    const reference = get(`grad.${name}`);
    const norm = reference.norm().item() as number;
    return { name, norm, relative: (p.grad!.sub(reference).norm().item() as number) / norm };
  });
  // Against float64: ||side - float64|| / ||float64|| per tensor, the median and largest of each side.
  const againstFloat64 = wide
    ? Object.fromEntries(
        (["dime", "pytorch"] as const).map((side) => {
          const errors = params
            .filter(([name]) => !BEFORE_BATCH_NORM.test(name))
            .map(([name, p]) => {
              const reference = wide.get(`grad.${name}`)!;
              const grad = side === "dime" ? p.grad! : get(`grad.${name}`);
              return (grad.to("float64").sub(reference).norm().item() as number) / (reference.norm().item() as number);
            })
            .sort((a, b) => a - b);
          return [side, { median: errors[Math.floor(errors.length / 2)], largest: errors[errors.length - 1] }];
        }),
      )
    : undefined;
  const zero = grads.filter((g) => BEFORE_BATCH_NORM.test(g.name));
  const rest = grads.filter((g) => !BEFORE_BATCH_NORM.test(g.name));
  const gradients = {
    compared: rest.length,
    // ||dime - PyTorch|| / ||PyTorch|| per tensor: the largest, and the median.
    worst: [...rest].sort((a, b) => b.relative - a.relative).slice(0, 3),
    median: [...rest].sort((a, b) => a.relative - b.relative)[Math.floor(rest.length / 2)].relative,
    // Their true gradient is zero: both sides hold rounding noise, far below the other tensors'.
    biasesBeforeBatchNorm: { count: zero.length, largestNorm: Math.max(...zero.map((g) => g.norm)) },
    smallestOtherNorm: Math.min(...rest.map((g) => g.norm)),
    againstFloat64,
  };
  const pytorchParams = [...step.keys()].filter((k) => k.startsWith("grad.")).length;
  optimizer.step();
  // Adam's first step moves each element by lr * g / (|g| + eps), about +-lr: the post-step
  // parameters agree where the gradients' signs do. Count the elements more than lr/10 apart.
  let apart = 0;
  let elements = 0;
  for (const [name, p] of params) {
    // Adam turns the noise of a zero gradient into a step of +-lr, on either side at random.
    if (BEFORE_BATCH_NORM.test(name)) continue;
    apart += p
      .detach()
      .sub(get(`after.${name}`))
      .abs()
      .gt(lrs[0] / 10)
      .sum()
      .item() as number;
    elements += p.numel;
  }
  const adam = { elements, apartByOverLrOver10: apart, share: apart / elements };
  return { losses, missingTerms: missing, parameters: { dime: params.length, pytorch: pytorchParams }, gradients, adam };
});
console.log(JSON.stringify({ dir, threads: torch.getNumThreads(), lr: lrs, ...report }, null, 1));
optimizer.dispose();
loss.dispose();
model.dispose();
torch.dispose([...step.values(), ...(wide?.values() ?? [])]);
