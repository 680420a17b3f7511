// BatchNorm2d and InstanceNorm2d against hand-computed values: training uses batch statistics and
// updates the running ones (unbiased variance), eval uses the running ones.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import * as nn from "../src/nn/index.js";
import { assertClose } from "./helpers/assert.js";
import { TOL } from "./helpers/tolerance.js";

const F32 = TOL.exact.float32!;
const EPS = 1e-5;

// (N=2, C=2, H=1, W=2). Channel 0 holds 1, 2 | 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
// Channel 1 holds 0, 0 | 2, -2: mean 0, biased variance 2, unbiased 8/3.
const X = [
  [[[1, 2]], [[0, 0]]],
  [[[3, 4]], [[2, -2]]],
];
const input = () => torch.tensor(X);
const values = (t: torch.Tensor) => torch.tidy(() => t.flatten().toArray());

describe("BatchNorm2d", () => {
  test("training: batch statistics, affine, running-stat update", () => {
    const bn = new nn.BatchNorm2d(2);
    torch.noGrad(() => {
      bn.weight!.copy_(torch.tensor([2, 0.5]));
      bn.bias!.copy_(torch.tensor([1, -1]));
    });
    const y = torch.tidy(() => values(bn.forward(input())));
    const s0 = Math.sqrt(1.25 + EPS);
    const s1 = Math.sqrt(2 + EPS);
    const expected = [
      ...[1, 2].map((v) => 2 * ((v - 2.5) / s0) + 1),
      ...[0, 0].map((v) => 0.5 * (v / s1) - 1),
      ...[3, 4].map((v) => 2 * ((v - 2.5) / s0) + 1),
      ...[2, -2].map((v) => 0.5 * (v / s1) - 1),
    ];
    assertClose(y, expected, F32, 0, "output");
    // running = 0.9 * running + 0.1 * batch (unbiased variance)
    assertClose(values(bn.runningMean!), [0.25, 0], F32, 0, "running_mean");
    assertClose(values(bn.runningVar!), [0.9 + 0.1 * (5 / 3), 0.9 + 0.1 * (8 / 3)], F32, 0, "running_var");
    assert.equal(bn.numBatchesTracked!.item(), 1);
    bn.dispose();
  });
  test("eval: running statistics, no update", () => {
    const bn = new nn.BatchNorm2d(2);
    torch.noGrad(() => {
      bn.runningMean!.copy_(torch.tensor([1, -1]));
      bn.runningVar!.copy_(torch.tensor([4, 0.25]));
    });
    bn.eval();
    const y = torch.tidy(() => values(bn.forward(input())));
    const expected = [
      ...[1, 2].map((v) => (v - 1) / Math.sqrt(4 + EPS)),
      ...[0, 0].map((v) => (v + 1) / Math.sqrt(0.25 + EPS)),
      ...[3, 4].map((v) => (v - 1) / Math.sqrt(4 + EPS)),
      ...[2, -2].map((v) => (v + 1) / Math.sqrt(0.25 + EPS)),
    ];
    assertClose(y, expected, F32, 0, "output");
    assertClose(values(bn.runningMean!), [1, -1], 0, 0, "running_mean unchanged");
    assert.equal(bn.numBatchesTracked!.item(), 0);
    bn.dispose();
  });
  test("momentum null: cumulative average over batches", () => {
    const bn = new nn.BatchNorm2d(2, { momentum: null });
    torch.tidy(() => {
      bn.forward(input()); // batch means 2.5, 0 (factor 1/1)
      bn.forward(input().add(1)); // batch means 3.5, 1 (factor 1/2)
    });
    assertClose(values(bn.runningMean!), [3, 0.5], F32, 0, "running_mean");
    assertClose(values(bn.runningVar!), [5 / 3, 8 / 3], F32, 0, "running_var");
    assert.equal(bn.numBatchesTracked!.item(), 2);
    bn.dispose();
  });
  test("trackRunningStats false: no buffers, batch statistics in eval too", () => {
    const bn = new nn.BatchNorm2d(2, { trackRunningStats: false, affine: false });
    const sd = bn.stateDict();
    assert.equal(sd.size, 0);
    bn.eval();
    const y = torch.tidy(() => values(bn.forward(input())));
    assertClose(
      y.slice(0, 2),
      [1, 2].map((v) => (v - 2.5) / Math.sqrt(1.25 + EPS)),
      F32,
      0,
      "output",
    );
    bn.dispose();
  });
  test("gradients reach weight and bias; wrong channel count is a clear error", () => {
    const bn = new nn.BatchNorm2d(2);
    torch.tidy(() =>
      bn
        .forward(input())
        .mul(torch.tensor([1, 2]).reshape(1, 2, 1, 1))
        .sum()
        .backward(),
    );
    assertClose(
      torch.tidy(() => values(bn.bias!.grad!)),
      [4, 8],
      F32,
      0,
      "bias grad",
    );
    assert.throws(() => torch.tidy(() => bn.forward(torch.zeros([1, 3, 2, 2]))), /expected 2 channels/);
    bn.dispose();
  });

  test("batchNormGroups: a joined batch normalises, updates and back-propagates as one call per group", () => {
    const generator = new torch.Generator(7);
    const groups = [torch.randn([2, 3, 4, 4], { generator }), torch.randn([3, 3, 4, 4], { generator }).mul(3).add(1)];
    const separate = new nn.BatchNorm2d(3);
    const joined = new nn.BatchNorm2d(3);
    torch.noGrad(() => {
      for (const bn of [separate, joined]) {
        bn.weight!.copy_(torch.tensor([2, 0.5, -1]));
        bn.bias!.copy_(torch.tensor([1, -1, 0.25]));
      }
    });
    const weightsOut = torch.rand([5, 3, 4, 4], { generator });
    const expected = torch.tidy(() => {
      const y = torch.cat(
        groups.map((x) => separate.forward(x)),
        0,
      );
      y.mul(weightsOut).sum().backward();
      return torch.keep(y);
    });
    const actual = torch.tidy(() => {
      const y = nn.batchNormGroups([2, 3], () => joined.forward(torch.cat(groups, 0)));
      y.mul(weightsOut).sum().backward();
      return torch.keep(y);
    });
    // Groups differ in mean and spread, so statistics over the joined batch would be far off.
    const plain = new nn.BatchNorm2d(3);
    const whole = torch.tidy(() => values(plain.forward(torch.cat(groups, 0))));
    plain.dispose();
    assert.ok(Math.max(...whole.map((v, i) => Math.abs(v - values(expected)[i]))) > 0.1, "the groups must matter");
    assertClose(values(actual), values(expected), 1e-6, 1e-6, "output");
    assertClose(values(joined.runningMean!), values(separate.runningMean!), 1e-6, 1e-6, "running mean");
    assertClose(values(joined.runningVar!), values(separate.runningVar!), 1e-6, 1e-6, "running variance");
    assert.equal(joined.numBatchesTracked!.item(), 2);
    assertClose(values(joined.weight!.grad!), values(separate.weight!.grad!), 1e-5, 1e-5, "weight grad");
    assertClose(values(joined.bias!.grad!), values(separate.bias!.grad!), 1e-5, 1e-5, "bias grad");
    // Eval mode uses the running statistics: the groups change nothing.
    joined.eval();
    const evalOut = torch.tidy(() => values(joined.forward(torch.cat(groups, 0))));
    assert.deepEqual(
      torch.tidy(() => values(nn.batchNormGroups([2, 3], () => joined.forward(torch.cat(groups, 0))))),
      evalOut,
    );
    joined.train();
    assert.throws(
      () => nn.batchNormGroups([2, 2], () => torch.tidy(() => joined.forward(torch.cat(groups, 0)))),
      /groups of sizes \[2, 2\] do not add up to the batch of 5/,
    );
    assert.throws(() => nn.batchNormGroups([2, 0], () => 0), /positive integers/);
    torch.dispose([...groups, weightsOut, expected, actual]);
    separate.dispose();
    joined.dispose();
  });
});

describe("InstanceNorm2d", () => {
  test("PyTorch's defaults: no parameters, no buffers, per-instance statistics", () => {
    const norm = new nn.InstanceNorm2d(2);
    assert.equal(norm.parameters().length + norm.buffers().length, 0);
    const y = torch.tidy(() => values(norm.forward(input())));
    const d = 0.5 / Math.sqrt(0.25 + EPS); // [1, 2]: mean 1.5, biased variance 0.25
    const e = 2 / Math.sqrt(4 + EPS); // [2, -2]: mean 0, biased variance 4
    assertClose(y, [-d, d, 0, 0, -d, d, e, -e], F32, 0, "output");
    norm.dispose();
  });
  test("trackRunningStats: running stats average the instances; eval uses them", () => {
    const norm = new nn.InstanceNorm2d(2, { affine: true, trackRunningStats: true });
    assert.deepEqual([...norm.stateDict().keys()], ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    torch.tidy(() => norm.forward(input()));
    // Channel 0 instances: means 1.5, 3.5 (unbiased variances 0.5, 0.5); channel 1: means 0, 0 (0, 8).
    assertClose(values(norm.runningMean!), [0.1 * 2.5, 0], F32, 0, "running_mean");
    assertClose(values(norm.runningVar!), [0.9 + 0.1 * 0.5, 0.9 + 0.1 * 4], F32, 0, "running_var");
    assert.equal(norm.numBatchesTracked!.item(), 0, "PyTorch does not count batches for instance norm");
    norm.eval();
    const y = torch.tidy(() => values(norm.forward(input())));
    assertClose(
      y.slice(0, 2),
      [1, 2].map((v) => (v - 0.25) / Math.sqrt(0.95 + EPS)),
      F32,
      0,
      "eval output",
    );
    norm.dispose();
  });
});
