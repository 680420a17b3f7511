// A training loop written the documented way (one tidy() per step) holds the number of live
// tensors steady: nothing leaks from forward, backward, the optimizer or the schedule.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import * as optim from "../src/optim/index.js";
import { TinyConvNet } from "./helpers/nn-fixtures.js";

const WARM_UP = 3;
const STEPS = 40;

describe("training-loop lifetime", () => {
  for (const kind of ["Adam", "SGD"] as const) {
    test(`conv net + ${kind}: live tensors unchanged after warm-up`, () => {
      torch.manualSeed(0);
      const base = torch.memory().numTensors;
      const model = new TinyConvNet();
      const opt =
        kind === "Adam" ? new optim.Adam(model.parameters(), { lr: 1e-3 }) : new optim.SGD(model.parameters(), { lr: 1e-2, momentum: 0.9 });
      const schedule = new optim.StepLR(opt, { stepSize: 10, gamma: 0.5 });
      const input = torch.randn([2, 3, 16, 16]);
      const target = torch.rand([2, 3, 16, 16]);
      const step = () =>
        torch.tidy(() => {
          const loss = torch.F.l1Loss(model.forward(input), target);
          loss.backward();
          opt.step();
          opt.zeroGrad();
          schedule.step();
          return loss.item();
        });
      for (let i = 0; i < WARM_UP; i++) step();
      const before = torch.memory();
      const first = step();
      let last = first;
      for (let i = 1; i < STEPS; i++) last = step();
      const after = torch.memory();
      assert.equal(after.numTensors, before.numTensors, "live tensors (JS handles)");
      assert.equal(after.nativeTensors, before.nativeTensors, "native tensor handles");
      assert.ok(last < first, `loss went down: ${first} -> ${last}`);

      const { tensors } = opt.stateDict();
      assert.equal(tensors.size, kind === "Adam" ? 2 * model.parameters().length : model.parameters().length);
      torch.dispose(tensors);
      model.dispose();
      opt.dispose();
      torch.dispose([input, target]);
      assert.equal(torch.memory().numTensors, base, "everything freed after dispose()");
    });
  }
});
