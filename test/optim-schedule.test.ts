// StepLR and MultiStepLR set the learning rates PyTorch's schedules set, epoch by epoch.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import * as optim from "../src/optim/index.js";

/*
 * Produced with Debian's /usr/bin/python3, torch 1.13.0:
 *   p = [torch.zeros(1, requires_grad=True)]
 *   o = torch.optim.SGD(p, lr=0.5); s = torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.1)
 *   for i in range(10): lrs.append(s.get_last_lr()[0]); o.step(); s.step()
 *   o = torch.optim.SGD([{'params': p}, {'params': [torch.zeros(1, requires_grad=True)], 'lr': 0.2}], lr=2e-4)
 *   s = torch.optim.lr_scheduler.MultiStepLR(o, milestones=[6, 2, 6], gamma=0.1)
 *   for i in range(9): lrs.append(s.get_last_lr()); o.step(); s.step()
 */
const STEP_LR = [0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.005000000000000001, 0.005000000000000001, 0.005000000000000001, 0.0005000000000000001];
const MULTI_STEP_LR = [
  [0.0002, 0.2],
  [0.0002, 0.2],
  [2e-5, 0.020000000000000004],
  [2e-5, 0.020000000000000004],
  [2e-5, 0.020000000000000004],
  [2e-5, 0.020000000000000004],
  [2.0000000000000004e-7, 0.0002000000000000001],
  [2.0000000000000004e-7, 0.0002000000000000001],
  [2.0000000000000004e-7, 0.0002000000000000001],
];

function parameter(): torch.Tensor {
  return torch.zeros([1]).requiresGrad_();
}

describe("learning-rate schedules", () => {
  test("StepLR: gamma every stepSize epochs", () => {
    const opt = new optim.SGD([parameter()], { lr: 0.5 });
    const schedule = new optim.StepLR(opt, { stepSize: 3, gamma: 0.1 });
    const lrs: number[] = [];
    for (let epoch = 0; epoch < 10; epoch++) {
      lrs.push(schedule.getLastLr()[0]);
      assert.equal(opt.paramGroups[0].lr, lrs[epoch]);
      opt.step();
      schedule.step();
    }
    assert.deepEqual(lrs, STEP_LR);
    assert.equal(opt.paramGroups[0].initialLr, 0.5);
  });
  test("MultiStepLR: gamma at each milestone, twice for a repeated one, per group", () => {
    const opt = new optim.SGD([{ params: [parameter()] }, { params: [parameter()], lr: 0.2 }], { lr: 2e-4 });
    const schedule = new optim.MultiStepLR(opt, { milestones: [6, 2, 6], gamma: 0.1 });
    const lrs: number[][] = [];
    for (let epoch = 0; epoch < 9; epoch++) {
      lrs.push(schedule.getLastLr());
      opt.step();
      schedule.step();
    }
    assert.deepEqual(lrs, MULTI_STEP_LR);
    assert.equal(schedule.lastEpoch, 9);
  });
  test("a schedule's state dict round-trips through JSON and continues", () => {
    const makeOpt = () => new optim.Adam([parameter()], { lr: 2e-4 });
    const a = makeOpt();
    const scheduleA = new optim.MultiStepLR(a, { milestones: [3, 5], gamma: 0.5 });
    for (let i = 0; i < 4; i++) scheduleA.step();
    const saved = JSON.parse(JSON.stringify({ optimizer: a.stateDict().meta, schedule: scheduleA.stateDict() }));
    assert.deepEqual(saved.schedule, {
      scheduler: "MultiStepLR",
      lastEpoch: 4,
      baseLrs: [2e-4],
      lastLr: [1e-4],
      milestones: [3, 5],
      gamma: 0.5,
    });

    const b = makeOpt();
    const scheduleB = new optim.MultiStepLR(b, { milestones: [1], gamma: 0.9 });
    b.loadStateDict({ tensors: new Map(), meta: saved.optimizer });
    scheduleB.loadStateDict(saved.schedule);
    for (let i = 0; i < 3; i++) {
      scheduleA.step();
      scheduleB.step();
      assert.deepEqual(scheduleB.getLastLr(), scheduleA.getLastLr());
      assert.equal(b.paramGroups[0].lr, a.paramGroups[0].lr);
    }
    assert.equal(b.paramGroups[0].lr, 5e-5);
    assert.throws(() => new optim.StepLR(b, { stepSize: 2 }).loadStateDict(saved.schedule), /saved by MultiStepLR/);
  });
  test("bad arguments are rejected with the value", () => {
    const opt = new optim.SGD([parameter()], { lr: 0.1 });
    assert.throws(() => new optim.StepLR(opt, { stepSize: 0 }), /stepSize must be a positive integer, got 0/);
    assert.throws(() => new optim.MultiStepLR(opt, { milestones: [1.5] }), /got 1.5/);
  });
});
