// Inference tuning (dime/inference-tuning.ts): batch norm folded into convolutions and the
// generator channels-last leave eval outputs equal within 1e-5, stay out of the state dict, free
// their tensors, and never touch training (the same gradients as an untuned model, bit for bit).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { FoldableBlock, Hourglass, UpBlock2d } from "../src/dime/blocks.js";
import { upsampledConvWeights } from "../src/nn/fold.js";
import { Generator } from "../src/dime/generator.js";
import { tuneForInference } from "../src/dime/inference-tuning.js";
import { randomiseBatchNorm, tinyDimeParams } from "./helpers/model-fixtures.js";
import { assertTensorClose } from "./helpers/golden.js";

const SIZE = 64;

function images(batch: number, seed: number): Tensor {
  return torch.rand([batch, 3, SIZE, SIZE], { generator: new torch.Generator(seed) });
}

/** The full tiny model (refine, ID, a reference), with batch-norm statistics and affine terms far from their defaults. */
function model(): DiME {
  torch.manualSeed(7);
  const dime = new DiME(tinyDimeParams({ num_refs: 1 }));
  randomiseBatchNorm(dime, new torch.Generator(3));
  return dime;
}

function predict(dime: DiME, batch = 2): Tensor {
  return torch.tidy(() => torch.inferenceMode(() => dime.forward(images(batch, 1), images(batch, 2), [images(batch, 3)]).prediction));
}

test("folding batch norm and channels-last leave eval outputs equal within 1e-5 (fp32)", () => {
  const dime = model().eval();
  const before = predict(dime);
  const live = torch.memory().numTensors;
  tuneForInference(dime, { channelsLast: false });
  const blocks = [...dime.modules()].filter((m): m is FoldableBlock => m instanceof FoldableBlock);
  assert.ok(blocks.length > 10, `only ${blocks.length} foldable blocks found`);
  assert.ok(blocks.every((b) => b.isFolded));
  const folded = predict(dime);
  assertTensorClose(folded, before, "prediction, batch norm folded", 1e-5);
  tuneForInference(dime);
  const nhwc = predict(dime);
  assertTensorClose(nhwc, before, "prediction, folded and channels-last", 1e-5);
  assert.ok(nhwc.isContiguous(), "the channels-last generator returns an NCHW frame");
  // A second fold replaces the first one's tensors rather than adding more.
  const afterFold = torch.memory().numTensors;
  tuneForInference(dime);
  assert.equal(torch.memory().numTensors, afterFold);
  assert.ok(afterFold > live, "the folded weights are held by the model");
  // The folded weights are not part of the checkpoint.
  const state = dime.stateDict();
  assert.deepEqual(
    [...state.keys()].filter((k) => k.includes("folded")),
    [],
  );
  torch.dispose([state, before, folded, nhwc]);
  dime.dispose();
});

test("an up block's fold replaces upsample + 3x3 conv by four 2x2 convolutions: equal within 1e-5, in the input's layout", () => {
  torch.manualSeed(11);
  const block = new UpBlock2d(12, 5);
  randomiseBatchNorm(block, new torch.Generator(4));
  block.eval();
  // Odd height and width, so that a phase or border mix-up cannot hide in a symmetric input.
  const x = torch.rand([2, 12, 7, 9], { generator: new torch.Generator(5) }).sub(0.5);
  const expected = torch.inferenceMode(() => block.forward(x));
  block.foldBatchNorm();
  const folded = () => block.buffers().find((t) => t.ndim === 4) as Tensor;
  assert.deepEqual(folded().shape, [20, 12, 2, 2], "four phases of 2x2 kernels");
  for (const layout of ["NCHW", "channels-last"]) {
    const input = layout === "NCHW" ? x : x.toChannelsLast();
    const actual = torch.inferenceMode(() => block.forward(input));
    assert.deepEqual(actual.shape, [2, 5, 14, 18]);
    assert.equal(actual.isChannelsLast(), layout === "channels-last", `${layout} in, ${layout} out`);
    assertTensorClose(actual, expected, `up block, ${layout}`, 1e-5);
    torch.dispose(input === x ? [actual] : [input, actual]);
  }
  // A wrong phase order or row sum is far outside rounding: swapping two phases breaks it.
  const swapped = torch.tidy(() => {
    const w = folded();
    return torch.cat([w.narrow(0, 5, 5), w.narrow(0, 0, 5), w.narrow(0, 10, 10)], 0);
  });
  torch.noGrad(() => folded().setData_(swapped));
  const wrong = torch.inferenceMode(() => block.forward(x));
  assert.ok(wrong.sub(expected).abs().amax().item() > 1e-2, "the check can fail");
  assert.throws(() => upsampledConvWeights(torch.zeros([4, 3, 5, 5]), torch.zeros([4])), /a 3x3 kernel is needed, got 5x5/);
  torch.dispose([x, expected, swapped, wrong]);
  block.dispose();
});

test("a training step with the folding code loaded gives the same gradients and statistics as before", () => {
  const step = (dime: DiME) => {
    dime.train();
    dime.zeroGrad();
    torch.tidy(() =>
      dime
        .forward(images(2, 1), images(2, 2), [images(2, 3)])
        .prediction.square()
        .mean()
        .backward(),
    );
    const state = dime.stateDict();
    const result = {
      grads: dime.parameters().map((p) => (p.grad ? Array.from(p.grad.data<"float32">()) : [])),
      statistics: new Map([...state].filter(([k]) => k.includes("running_")).map(([k, v]) => [k, Array.from(v.data<"float32">())])),
    };
    torch.dispose(state);
    return result;
  };
  const plain = model();
  const expected = step(plain);
  const tuned = tuneForInference(model());
  torch.tidy(() => void predict(tuned)); // the folded path has run
  const actual = step(tuned);
  assert.ok(
    [...tuned.modules()].every((m) => !(m instanceof FoldableBlock) || !m.isFolded),
    "a training-mode forward drops the fold",
  );
  assert.equal(actual.grads.length, expected.grads.length);
  for (let i = 0; i < expected.grads.length; i++) assert.deepEqual(actual.grads[i], expected.grads[i], `gradient of parameter ${i}`);
  assert.ok(expected.statistics.size > 10);
  assert.deepEqual(actual.statistics, expected.statistics, "running statistics after the step");
  plain.dispose();
  tuned.dispose();
});

test("training mode ignores the fold, eval mode uses it only after tuneForInference", () => {
  const dime = model();
  const expected = torch.tidy(() => {
    dime.train();
    return dime.forward(images(2, 1), images(2, 2), [images(2, 3)]).prediction.detach();
  });
  const fresh = model();
  tuneForInference(fresh).train();
  const actual = torch.tidy(() => fresh.forward(images(2, 1), images(2, 2), [images(2, 3)]).prediction.detach());
  assert.deepEqual(Array.from(actual.data<"float32">()), Array.from(expected.data<"float32">()));
  torch.dispose([expected, actual]);
  dime.dispose();
  fresh.dispose();
});

test("channels-last parts get channels-last eval-only weights; the parameters keep their layout", () => {
  const dime = model().eval();
  const before = predict(dime);
  tuneForInference(dime);
  const parts = [...dime.modules()].filter((m) => m instanceof Hourglass || m instanceof Generator);
  assert.ok(parts.length >= 4, `only ${parts.length} hourglasses and generators found`);
  const weights = parts.flatMap((p) => p.buffers().filter((t) => t.ndim === 4 && t.size(2) > 1));
  assert.ok(weights.length > 10, `only ${weights.length} folded weights found`);
  assert.ok(
    weights.every((t) => t.isChannelsLast()),
    "every folded weight of a channels-last part is channels-last",
  );
  assert.ok(
    dime.parameters().every((p) => p.isContiguous()),
    "parameters stay contiguous (training never sees the layout)",
  );
  assertTensorClose(predict(dime), before, "prediction, hourglasses and generator channels-last", 1e-5);
  // And back: the same model tuned without channels-last has NCHW weights again.
  tuneForInference(dime, { channelsLast: false, hourglassChannelsLast: false });
  assert.ok(weights.every((t) => t.isContiguous() && !t.isChannelsLast()));
  assertTensorClose(predict(dime), before, "prediction, NCHW again", 1e-5);
  before.dispose();
  dime.dispose();
});
