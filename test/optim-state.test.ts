// Optimizer state dicts: tensors plus JSON-able numbers; saving, loading into a fresh optimizer
// and continuing gives the same trajectory as never stopping.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import * as nn from "../src/nn/index.js";
import * as optim from "../src/optim/index.js";
import { leastSquares, trainSteps } from "./helpers/nn-fixtures.js";

type Make = (params: Tensor[]) => optim.Optimizer<optim.BaseHyper>;

/** Runs 3 steps, checkpoints (tensors cloned, meta through JSON), resumes in a new optimizer for 3 more. */
function resumed(make: Make, makeOther: Make): { straight: number[]; resumed: number[]; params: [number[], number[]] } {
  const a = leastSquares();
  const optA = make([a.w, a.b]);
  const straight = trainSteps(a, optA, 6);
  const params: [number[], number[]] = [a.w.flatten().toArray(), a.b.toArray()];
  a.dispose();

  const b = leastSquares();
  const optB = make([b.w, b.b]);
  const first = trainSteps(b, optB, 3);
  const dict = optB.stateDict();
  const checkpoint = { tensors: new Map([...dict.tensors].map(([k, t]) => [k, t.clone()])), meta: JSON.parse(JSON.stringify(dict.meta)) };
  torch.dispose(dict.tensors);

  const c = leastSquares();
  torch.noGrad(() => {
    c.w.copy_(b.w);
    c.b.copy_(b.b);
  });
  b.dispose();
  const optC = makeOther([c.w, c.b]);
  optC.loadStateDict(checkpoint);
  torch.dispose(checkpoint.tensors);
  const rest = trainSteps(c, optC, 3);
  const result = { straight, resumed: [...first, ...rest], params };
  assert.deepEqual([c.w.flatten().toArray(), c.b.toArray()], params, "parameters after resuming");
  c.dispose();
  return result;
}

describe("optimizer state dicts", () => {
  test("Adam: state names, counters and hyper-parameters", () => {
    const p = leastSquares();
    const opt = new optim.Adam([{ params: [p.w] }, { params: [p.b], lr: 0.5 }], { lr: 0.1, betas: [0.5, 0.999] });
    trainSteps(p, opt, 2);
    const { tensors, meta } = opt.stateDict();
    assert.deepEqual([...tensors.keys()], ["0.exp_avg", "0.exp_avg_sq", "1.exp_avg", "1.exp_avg_sq"]);
    assert.deepEqual(meta, {
      optimizer: "Adam",
      paramGroups: [
        { lr: 0.1, betas: [0.5, 0.999], eps: 1e-8, weightDecay: 0, params: [0] },
        { lr: 0.5, betas: [0.5, 0.999], eps: 1e-8, weightDecay: 0, params: [1] },
      ],
      state: { "0": { step: 2 }, "1": { step: 2 } },
    });
    torch.dispose(tensors);
    p.dispose();
  });
  test("Adam resumed from a checkpoint continues identically (hyper-parameters come from the checkpoint)", () => {
    const r = resumed(
      (ps) => new optim.Adam(ps, { lr: 0.1, betas: [0.9, 0.99], weightDecay: 0.01 }),
      (ps) => new optim.Adam(ps, { lr: 123 }),
    );
    assert.deepEqual(r.resumed, r.straight);
  });
  test("SGD with momentum resumed from a checkpoint continues identically", () => {
    const r = resumed(
      (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
      (ps) => new optim.SGD(ps, { lr: 1 }),
    );
    assert.deepEqual(r.resumed, r.straight);
  });
  test("loading the wrong optimizer's or a mis-shaped state throws one clear error and changes nothing", () => {
    const p = leastSquares();
    const adam = new optim.Adam([p.w, p.b], { lr: 0.1 });
    trainSteps(p, adam, 1);
    const dict = adam.stateDict();
    const sgd = new optim.SGD([p.w, p.b], { lr: 0.1, momentum: 0.9 });
    assert.throws(() => sgd.loadStateDict(dict), /saved by Adam, this is SGD[\s\S]*unexpected state tensor '0\.exp_avg'/);

    const other = new optim.Adam([p.b, p.w], { lr: 0.7 });
    const same = new optim.Adam([p.w, p.b], { lr: 0.7 });
    assert.throws(
      () => other.loadStateDict(dict),
      (e: Error) => {
        assert.match(e.message, /state tensor '0\.exp_avg' has shape \[2, 3\], parameter 0 has \[2\]/);
        assert.match(e.message, /nothing was loaded/);
        return true;
      },
    );
    assert.equal(other.paramGroups[0].lr, 0.7);
    const badLr = { tensors: dict.tensors, meta: { ...dict.meta, paramGroups: dict.meta.paramGroups.map((g) => ({ ...g, lr: -1 })) } };
    assert.throws(() => same.loadStateDict(badLr), /group 0: Adam: invalid learning rate -1/);
    assert.equal(same.paramGroups[0].lr, 0.7);
    const single = new optim.Adam([p.w]);
    assert.throws(() => single.loadStateDict(dict), /group 0 has 2 parameters in the state dict, 1 here/);
    torch.dispose(dict.tensors);
    p.dispose();
  });
  test("parameters without a gradient are skipped and get no state", () => {
    const used = torch.zeros([2]).requiresGrad_();
    const unused = torch.zeros([2]).requiresGrad_();
    const opt = new optim.Adam([used, unused], { lr: 0.1 });
    torch.tidy(() => used.sum().backward());
    opt.step();
    const { tensors } = opt.stateDict();
    assert.deepEqual([...tensors.keys()], ["0.exp_avg", "0.exp_avg_sq"]);
    torch.dispose(tensors);
    assert.deepEqual(unused.toArray(), [0, 0]);
    torch.dispose([used, unused]);
  });
  test("hyper-parameters are validated", () => {
    const p = torch.zeros([1]).requiresGrad_();
    assert.throws(() => new optim.Adam([p], { betas: [0.9, 1] }), /invalid beta at index 1: 1/);
    assert.throws(() => new optim.Adam([p], { lr: -1 }), /invalid learning rate -1/);
    assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum needs momentum > 0/);
    assert.throws(() => new optim.SGD([p, p], { lr: 0.1 }), /appears twice/);
    assert.throws(() => new optim.SGD([], { lr: 0.1 }), /empty parameter list/);
    assert.throws(() => new optim.Adam([{ params: [p], weight_decay: 0.1 } as never]), /unknown option 'weight_decay'/);
    p.dispose();
  });
});

describe("optimizer over disposed parameters", () => {
  test("step() names the likely cause when the model was disposed", () => {
    const model = new nn.Linear(2, 1);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    model.dispose();
    assert.throws(() => opt.step(), /parameter was disposed \(the model was disposed\?\)/);
  });
});
