// A rank of the N-step training check in train-distributed.test.ts: the tiny DiME in float64
// trained STEPS steps as the trainer does (DataParallel: rank 0's start, sync batch norm, bucketed
// gradients; the loader's shard of each batch; this rank's rows of the batch's warps; Adam at
// PyTorch's defaults), then every parameter and buffer written to OUT-RANK.safetensors. float64,
// because in float32 the noise of a batch of 1 against a batch of 2 (about 1e-7) crosses ReLU and
// L1 kinks that Adam then turns into whole steps (docs/distributed.md); in float64 it cannot.
import * as torch from "../../src/torch/index.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { DiME } from "../../src/dime/dime.js";
import { TrainingObjective } from "../../src/dime/objective.js";
import { reconstructionLoss } from "../../src/dime/losses/index.js";
import { Transform } from "../../src/dime/losses/transform.js";
import { Adam } from "../../src/optim/index.js";
import { DataParallel } from "../../src/train/distributed.js";
import { openTrainingLoader } from "../../src/train/session.js";
import { toTrainingBatch } from "../../src/train/trainer.js";
import { tinyTrainConfig } from "./train-fixtures.js";

const rank = Number(process.env.RANK);
const worldSize = Number(process.env.WORLD_SIZE);
const steps = Number(process.env.STEPS ?? 3);
const parallel =
  worldSize > 1
    ? DataParallel.join({
        rank,
        worldSize,
        localRank: rank,
        masterAddr: "127.0.0.1",
        masterPort: Number(process.env.PORT),
        timeoutMs: 30_000,
        backend: "gloo",
        localAddr: "127.0.0.1",
      })
    : undefined;
torch.setNumThreads(1);
const config = tinyTrainConfig();
torch.manualSeed(0);
const model = new DiME(config.model_params).to("float64");
const objective = new TrainingObjective(model, config.train_params, reconstructionLoss(config.train_params).to("float64"));
const optimizer = new Adam(model.parameters(), { lr: config.train_params.lr, betas: config.train_params.betas });
parallel?.attach(model.parameters(), model.buffers());
const warps = new torch.Generator(1);
const loader = await openTrainingLoader(process.env.DATA as string, config, 0, 0);
const batchSize = config.train_params.batch_size;
const share = batchSize / worldSize;
let step = 0;
for (let epoch = 0; step < steps; epoch++) {
  for await (const batch of loader.epoch(epoch, 0, { rank, count: worldSize })) {
    torch.tidy(() => {
      const frames = toTrainingBatch(batch, "cpu");
      const wide = (t: torch.Tensor) => t.double();
      const all = Transform.random(config.train_params.transform_params, batchSize, warps).rows(rank * share, share);
      const transform = new Transform(wide(all.theta), wide(all.controlPoints), wide(all.controlParams));
      const inputs = { source: wide(frames.source), driving: wide(frames.driving), references: frames.references.map(wide) };
      const result = objective.compute(inputs, undefined, { transform });
      optimizer.zeroGrad();
      parallel?.beforeBackward();
      result.total.backward();
      parallel?.afterBackward();
      optimizer.step();
    });
    if (++step === steps) break;
  }
}
await loader.close();
writeSafetensors(
  `${process.env.OUT}-${rank}.safetensors`,
  new Map([...model.namedParameters(), ...model.namedBuffers()].map(([name, t]) => [name, t.detach()])),
);
parallel?.close();
