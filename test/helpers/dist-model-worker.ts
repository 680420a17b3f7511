// A rank of the model-level check in train-distributed.test.ts: the tiny DiME and its whole training
// objective (pixel pyramid and equivariance, sync batch norm, bucketed gradients) on this rank's
// share of a seeded batch of 2, with the warps of the whole batch drawn once; prints one JSON line
// of every parameter's gradient (the sum of its magnitudes and first values) and every running mean's first values.
import * as torch from "../../src/torch/index.js";
import { setSyncBatchNorm } from "../../src/nn/norm.js";
import { DiME } from "../../src/dime/dime.js";
import { TrainingObjective } from "../../src/dime/objective.js";
import { reconstructionLoss } from "../../src/dime/losses/index.js";
import { Transform } from "../../src/dime/losses/transform.js";
import { tinyTrainConfig } from "./train-fixtures.js";

const d = torch.distributed;
const rank = Number(process.env.RANK);
const worldSize = Number(process.env.WORLD_SIZE);
if (worldSize > 1) {
  d.initProcessGroup({ masterAddr: "127.0.0.1", masterPort: Number(process.env.PORT), rank, worldSize, timeoutMs: 30_000 });
  setSyncBatchNorm(true);
}
torch.setNumThreads(1);
const config = tinyTrainConfig();
torch.manualSeed(0);
const model = new DiME(config.model_params);
const objective = new TrainingObjective(model, config.train_params, reconstructionLoss(config.train_params));
const batch = 2;
const share = batch / worldSize;
const frames = () => torch.rand([batch, 3, 32, 32]).narrow(0, rank * share, share); // (share, 3, 32, 32)
const [source, driving, reference] = [frames(), frames(), frames()];
const all = Transform.random(config.train_params.transform_params, batch, new torch.Generator(1));
const transform = all.rows(rank * share, share);
const named = [...model.namedParameters()];
if (worldSize > 1) {
  // Small buckets (the model has about 0.9 MB of parameters), so that several fill and start
  // during backward, in order, as DDP's 25 MiB buckets do on a full-size model.
  const buckets = d.gradientBuckets(
    named.map(([, p]) => p),
    64 * 1024,
    16 * 1024,
  );
  if (buckets < 5) throw new Error(`only ${buckets} gradient buckets`);
  d.prepareBackward();
}
const result = objective.compute({ source, driving, references: [reference] }, undefined, { transform });
result.total.backward();
if (worldSize > 1) d.finishGradients();
const grads = Object.fromEntries(
  named.map(([name, p]) => {
    const g = p.grad;
    return [name, g ? [g.abs().sum().item(), ...[...(g.data() as Float32Array)].slice(0, 4)] : null];
  }),
);
const means = Object.fromEntries(
  [...model.namedBuffers()]
    .filter(([name]) => name.endsWith("running_mean"))
    .map(([name, b]) => [name, [...(b.data() as Float32Array)].slice(0, 4)]),
);
console.log(JSON.stringify({ grads, means }));
if (worldSize > 1) {
  d.barrier();
  d.destroyProcessGroup();
}
