// A training loop written the documented way (one tidy() per step) holds steady resident memory.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import * as nn from "../src/nn/index.js";
import { Adam } from "../src/optim/index.js";
import * as torch from "../src/torch/index.js";
import { SLOW } from "./helpers/tier.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const STEPS = 20_000;
const WARMUP = 5_000;
const BUDGET_MB = 50;

function residentMb(): number {
  gc();
  return process.memoryUsage().rss / 2 ** 20;
}

test(`${STEPS} forward+backward+Adam steps keep resident memory within ${BUDGET_MB} MB`, SLOW, () => {
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Conv2d(4, 1, 1));
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const generator = new torch.Generator(1);
  const x = torch.randn([2, 2, 6, 6], { generator });
  const target = torch.randn([2, 1, 6, 6], { generator });
  let lastLoss = Infinity;
  const step = () =>
    torch.tidy(() => {
      optimizer.zeroGrad();
      const loss = torch.F.mseLoss(model.forward(x), target);
      loss.backward();
      optimizer.step();
      lastLoss = loss.item();
    });

  for (let i = 0; i < WARMUP; i++) step();
  const tensorsBefore = torch.memory();
  const before = residentMb();
  const firstLoss = lastLoss;
  for (let i = 0; i < STEPS; i++) step();
  const after = residentMb();
  const tensorsAfter = torch.memory();

  assert.equal(tensorsAfter.numTensors, tensorsBefore.numTensors, "live tensors changed over the loop");
  assert.equal(tensorsAfter.nativeTensors, tensorsBefore.nativeTensors, "native tensor handles changed over the loop");
  assert.ok(after - before < BUDGET_MB, `resident memory grew by ${(after - before).toFixed(1)} MB (from ${before.toFixed(1)} MB)`);
  assert.ok(lastLoss < firstLoss, `the loop should still be training (loss ${firstLoss} -> ${lastLoss})`);
  console.log(
    `# resident memory ${before.toFixed(1)} MB -> ${after.toFixed(1)} MB over ${STEPS} steps; loss ${firstLoss.toFixed(4)} -> ${lastLoss.toFixed(4)}`,
  );
});
