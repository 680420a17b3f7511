// The automatic batch size of animate(): the table's choices by thread count, frame size and
// device, what animate() reports it used, and that the frames do not depend on the batch with the
// model as dime animate runs it (tuned for inference: batch norm folded, channels-last generator),
// in fp32 and in bf16.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { tuneForInference } from "../src/dime/inference-tuning.js";
import { animate, type AnimatedFrame, type AnimationJob } from "../src/infer/animate.js";
import { autoBatch } from "../src/infer/batch-size.js";
import { randomiseBatchNorm, tinyDimeParams } from "./helpers/model-fixtures.js";
import { assertClose } from "./helpers/assert.js";
import { faceFrames, SIZE } from "./infer-fixtures.js";

async function run(job: AnimationJob): Promise<AnimatedFrame[]> {
  const frames: AnimatedFrame[] = [];
  for await (const frame of animate(job)) frames.push(frame);
  return frames;
}

function tunedModel(): DiME {
  torch.manualSeed(5);
  const model = new DiME(tinyDimeParams({ num_refs: 1 }));
  randomiseBatchNorm(model, new torch.Generator(6));
  return tuneForInference(model.eval());
}

test("autoBatch: a positive batch for every size, the GPU's 8, and no more than 32", () => {
  for (const side of [32, 64, 128, 256, 384, 512]) {
    const batch = autoBatch({ width: side, height: side }, "cpu");
    assert.ok(Number.isInteger(batch) && batch >= 1 && batch <= 32, `${side} px: ${batch}`);
  }
  assert.equal(autoBatch({ width: 256, height: 256 }, "cuda"), 8);
  // The measured choices (docs/speed.md, "Batch size"), and larger frames never a larger batch.
  assert.equal(autoBatch({ width: 64, height: 64 }, "cpu"), 4);
  assert.equal(autoBatch({ width: 256, height: 256 }, "cpu"), 1);
  assert.ok(autoBatch({ width: 512, height: 512 }, "cpu") <= autoBatch({ width: 128, height: 128 }, "cpu"));
});

const driving = faceFrames(7, 1);
const [source, reference] = faceFrames(2, 9);

test("animate without a batch uses autoBatch's and reports it; with one, that one", async () => {
  const model = tunedModel();
  const saved = torch.getNumThreads();
  try {
    torch.setNumThreads(1);
    const auto = await run({ model, source, driving: driving.slice(0, 1), references: [reference] });
    assert.equal(auto[0].plan.batch, autoBatch({ width: SIZE, height: SIZE }, "cpu"));
    const given = await run({ model, source, driving: driving.slice(0, 1), options: { batch: 3 } });
    assert.equal(given[0].plan.batch, 3);
  } finally {
    torch.setNumThreads(saved);
    model.dispose();
  }
});

for (const [precision, tolerance] of [
  ["fp32", 1e-5],
  ["bf16", 1e-5],
] as const) {
  test(`the tuned model's frames are the same at batch 1, 3 and 7 (${precision}, within ${tolerance})`, async () => {
    const model = tunedModel();
    try {
      const byBatch = [];
      let before = 0;
      for (const batch of [1, 3, 7]) {
        byBatch.push(await run({ model, source, references: [reference], driving, options: { batch, precision } }));
        // Counted after the first job: the model makes some eval-only weights at their first use and keeps them.
        if (batch === 1) before = torch.memory().numTensors;
      }
      assert.equal(torch.memory().numTensors, before, "live tensors after the jobs");
      const [one, ...others] = byBatch;
      for (const other of others) {
        assert.equal(other.length, driving.length);
        one.forEach((f, i) => assertClose(f.image.data, other[i].image.data, tolerance, 0, `frame ${i}, batch ${other[0].plan.batch}`));
      }
    } finally {
      model.dispose();
    }
  });
}
