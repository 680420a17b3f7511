// Inference tuning (dime/inference-tuning.ts): batch norm folded into convolutions and the
// generator channels-last leave eval outputs equal within 1e-5, stay out of the state dict, free
// their tensors, and never touch training (the same gradients as an untuned model, bit for bit).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { FoldableBlock, Hourglass, ResBlock2d, UP_PHASES_FROM, UpBlock2d } from "../src/dime/blocks.js";
import { upsampledConvWeights } from "../src/nn/fold.js";
import type { Encoder } from "../src/dime/encoder.js";
import type { Generator } from "../src/dime/generator.js";
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
  const x = torch.rand([2, 12, 9, 11], { generator: new torch.Generator(5) }).sub(0.5);
  const expected = torch.inferenceMode(() => block.forward(x));
  block.foldBatchNorm();
  const buffer = (name: string) => new Map(block.namedBuffers()).get(name);
  assert.equal(buffer("folded_weight_phases"), undefined, "the phases are made at their first use");
  for (const layout of ["NCHW", "channels-last"]) {
    const input = layout === "NCHW" ? x : x.toChannelsLast();
    const actual = torch.inferenceMode(() => block.forward(input));
    assert.deepEqual(actual.shape, [2, 5, 18, 22]);
    assert.equal(actual.isChannelsLast(), layout === "channels-last", `${layout} in, ${layout} out`);
    assertTensorClose(actual, expected, `up block, ${layout}`, 1e-5);
    torch.dispose(input === x ? [actual] : [input, actual]);
  }
  const folded = () => buffer("folded_weight_phases") as Tensor;
  assert.deepEqual(folded().shape, [20, 12, 2, 2], "four phases of 2x2 kernels");
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

test("an up block runs small inputs (below UP_PHASES_FROM pixels) as upsample + 3x3, large ones as phases: both equal", () => {
  torch.manualSeed(12);
  const block = new UpBlock2d(8, 4);
  randomiseBatchNorm(block, new torch.Generator(6));
  block.eval();
  const side = Math.sqrt(UP_PHASES_FROM);
  const run = (size: number) =>
    torch.tidy(() => {
      const x = torch.rand([1, 8, size, size], { generator: new torch.Generator(size) });
      return torch.inferenceMode(() => block.forward(x));
    });
  const expected = [side - 1, side].map(run);
  block.foldBatchNorm();
  const names = () => [...block.namedBuffers()].map(([name]) => name);
  const small = run(side - 1);
  assert.ok(!names().includes("folded_weight_phases"), "an input below the threshold does not make the phases");
  const large = run(side);
  assert.ok(names().includes("folded_weight_phases"), "an input at the threshold runs as phases");
  assertTensorClose(small, expected[0], "up block below the threshold", 1e-5);
  assertTensorClose(large, expected[1], "up block at the threshold", 1e-5);
  torch.dispose([...expected, small, large]);
  block.dispose();
});

test("under bf16 autocast the folded weights are cast once and kept: outputs equal autocast's own cast, remade after a fold", () => {
  torch.manualSeed(13);
  const block = new ResBlock2d(6);
  randomiseBatchNorm(block, new torch.Generator(7));
  block.eval().foldBatchNorm();
  const x = torch.rand([1, 6, 8, 8], { generator: new torch.Generator(8) });
  const buffers = () => new Map(block.namedBuffers());
  // What the block computed before the copies: autocast casting the fp32 folded weights at each call.
  const expected = () =>
    torch.tidy(() => {
      const b = buffers();
      const conv = (input: Tensor, suffix: string) =>
        torch.F.conv2d(input, b.get(`folded_weight${suffix}`) as Tensor, b.get(`folded_bias${suffix}`) as Tensor, { padding: 1 });
      return bf16(() => conv(conv(block.norm1.forward(x).relu(), "").relu(), "2").add(x));
    });
  const bf16 = <T>(fn: () => T) => torch.inferenceMode(() => torch.withAutocast("cpu", "bfloat16", fn));
  const first = expected();
  const actual = bf16(() => block.forward(x));
  assert.equal(actual.dtype, first.dtype);
  assert.deepEqual(Array.from(actual.float().data<"float32">()), Array.from(first.float().data<"float32">()), "bit for bit");
  const copy = buffers().get("folded_weight_bfloat16") as Tensor;
  assert.equal(copy?.dtype, "bfloat16", "the bf16 copy is a buffer of the block");
  assert.equal(buffers().get("folded_weight2_bfloat16")?.dtype, "bfloat16");
  const live = torch.memory().numTensors;
  torch.dispose(bf16(() => block.forward(x)));
  assert.equal(torch.memory().numTensors, live, "a second call makes no new copies");
  assert.deepEqual(
    [...block.stateDict().keys()].filter((k) => k.includes("bfloat16")),
    [],
    "the copies are not part of the checkpoint",
  );
  // A copy made in an inference pass is an ordinary tensor: it can be updated in place outside one.
  torch.noGrad(() => copy.add_(0));
  // New statistics and a new fold: the next bf16 call uses the new weights, not the stale copy.
  torch.noGrad(() => (block.norm2.runningMean as Tensor).add_(1));
  block.foldBatchNorm();
  const second = expected();
  assert.ok(second.sub(first).abs().amax().item() > 1e-2, "the new statistics change the output");
  // (Remade outside inference mode this time.)
  const refreshed = torch.noGrad(() => torch.withAutocast("cpu", "bfloat16", () => block.forward(x)));
  assert.deepEqual(Array.from(refreshed.float().data<"float32">()), Array.from(second.float().data<"float32">()), "after the fold");
  // fp32 ignores the copies.
  const plain = torch.inferenceMode(() => block.forward(x));
  assert.equal(plain.dtype, "float32");
  torch.dispose([x, first, actual, second, refreshed, plain]);
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
  // The animator adopts its encoder's and generator's layers (FOMM's flat keys), so modules() does not yield those two parts.
  const parts: (Hourglass | Generator | Encoder)[] = [
    ...[...dime.modules()].filter((m) => m instanceof Hourglass),
    dime.generator.encoder,
    dime.generator.generator,
  ];
  assert.ok(parts.length >= 6, `only ${parts.length} hourglasses, encoders and generators found`);
  assert.ok(
    parts.every((p) => p.channelsLast),
    "every part runs channels-last",
  );
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
  assert.ok(parts.every((p) => !p.channelsLast));
  assertTensorClose(predict(dime), before, "prediction, NCHW again", 1e-5);
  before.dispose();
  dime.dispose();
});
