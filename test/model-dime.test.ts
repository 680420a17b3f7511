// DiME's model properties: output shapes for any number of references and batch sizes, the
// untrained ODE and SelfFlow leaving the baseline unchanged, independence from the references'
// order, and the switches' errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { identityGrid, makeCoordinateGrid, resizeFlow, warp } from "../src/dime/geometry.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";
import { assertTensorClose } from "./helpers/golden.js";

const SIZE = 64;

function images(batch: number, seed: number): Tensor {
  return torch.rand([batch, 3, SIZE, SIZE], { generator: new torch.Generator(seed) });
}

/** The full model (refine, ID, a reference net), seeded. */
function fullModel(): DiME {
  torch.manualSeed(7);
  return new DiME(tinyDimeParams({ num_refs: 1 }));
}

describe("output shapes", () => {
  const model = fullModel().eval();
  for (const batch of [1, 4]) {
    for (const refs of [0, 1, 3, 6]) {
      test(`batch ${batch}, ${refs} references`, () => {
        torch.tidy(() => {
          const references = Array.from({ length: refs }, (_, i) => images(batch, 10 + i));
          const out = torch.inferenceMode(() => model.forward(images(batch, 1), images(batch, 2), references));
          const v = refs + 1;
          assert.deepEqual(out.prediction.shape, [batch, 3, SIZE, SIZE]);
          assert.deepEqual(out.deformed.shape, [batch, 3, SIZE, SIZE]);
          assert.deepEqual(out.kpSource.value.shape, [batch, 4, 2]);
          assert.deepEqual(out.kpDriving.value.shape, [batch, 4, 2]);
          assert.deepEqual(out.kpReferences?.shape, refs === 0 ? undefined : [batch, refs, 4, 2]);
          assert.deepEqual(out.coarseFlow.shape, [batch, v, 16, 16, 2]);
          assert.deepEqual(out.refinedFlow.shape, [batch, v, 16, 16, 2]);
          assert.deepEqual(out.selfFlow!.shape, [batch, v, 16, 16, 2]);
          assert.deepEqual(out.mask.shape, [batch, v, 5, 16, 16]);
          assert.deepEqual(out.confidence!.shape, [batch, v, 16, 16]);
          assert.deepEqual(out.weights.shape, [batch, v, 16, 16]);
          assert.deepEqual(out.visibility.shape, [batch, 1, 16, 16]);
          assertTensorClose(out.weights.sum(1), torch.ones([batch, 16, 16]), "weights sum to 1 over views", 1e-6);
        });
      });
    }
  }
});

describe("generator features at 64, 32 or 16 px (num_down_blocks 0, 1, 2)", () => {
  for (const down of [0, 1, 2]) {
    test(`${down} down blocks: the features are ${SIZE / 2 ** down} px and the frame comes back at ${SIZE} px`, () => {
      torch.tidy(() => {
        torch.manualSeed(7);
        const params = tinyDimeParams({ num_refs: 1 });
        params.generator_params.num_down_blocks = down;
        const model = new DiME(params).eval();
        const features = model.generator.encoder.forward(images(1, 1));
        assert.deepEqual(features.shape.slice(2), [SIZE / 2 ** down, SIZE / 2 ** down]);
        const out = torch.inferenceMode(() => model.forward(images(2, 1), images(2, 2), [images(2, 3)]));
        assert.deepEqual(out.prediction.shape, [2, 3, SIZE, SIZE]);
        assert.ok(out.prediction.isfinite().all().item(), "finite prediction");
      });
    });
  }
});

describe("flows resized from the motion's grid to the features'", () => {
  test("an identity flow stays the identity (16 -> 32, 64 px), so warping by it returns the input", () => {
    torch.tidy(() => {
      for (const size of [32, 64]) {
        const resized = resizeFlow(identityGrid(2, 16, 16, images(1, 0)), size, size);
        assertTensorClose(resized, identityGrid(2, size, size, resized), `identity 16 -> ${size}`, 1e-6);
        const frame = images(2, 5);
        assertTensorClose(warp(frame, resizeFlow(identityGrid(2, 16, 16, frame), SIZE, SIZE)), frame, "warp by the resized identity", 1e-5);
      }
    });
  });

  test("a constant displacement keeps its size in grid units (a shift stays the same shift)", () => {
    torch.tidy(() => {
      const shift = torch.tensor([0.1, -0.05]).view(1, 1, 1, 2);
      const resized = resizeFlow(identityGrid(1, 16, 16, shift).add(shift), SIZE, SIZE);
      assertTensorClose(resized.sub(identityGrid(1, SIZE, SIZE, resized)), shift.expand(1, SIZE, SIZE, 2), "shift", 1e-6);
    });
  });

  test("FOMM's resize (aligned_resize false) stretches the identity by the hand-computed 0.0468 grid units", () => {
    torch.tidy(() => {
      // Output column j samples input column j/4 - 3/8 (clamped to [0, 15]); the identity there is
      // -1 + 2(j/4 - 3/8)/15 against -1 + 2j/63, worst at j = 2 and 61: 0.05 - 6/1890.
      const resized = resizeFlow(identityGrid(1, 16, 16, images(1, 0)), SIZE, SIZE, false);
      const worst = resized
        .sub(identityGrid(1, SIZE, SIZE, resized))
        .abs()
        .amax()
        .item();
      assert.ok(Math.abs(worst - (0.05 - 6 / 1890)) < 1e-5, `largest deviation ${worst}`);
    });
  });
});

describe("an untrained model is its baseline", () => {
  test("refine on with zero-initialised dynamics equals refine off (1e-6), for every solver", () => {
    const model = fullModel().eval();
    torch.tidy(() => {
      const [s, d, r] = [images(2, 1), images(2, 2), images(2, 3)];
      const off = torch.inferenceMode(() => model.forward(s, d, [r], { refine: false }).prediction);
      for (const method of ["euler", "midpoint", "rk4"] as const) {
        const on = torch.inferenceMode(() => model.forward(s, d, [r], { refine: true, ode: { method, steps: 3 } }));
        assertTensorClose(on.prediction, off, `prediction (${method})`, 1e-6);
        assertTensorClose(on.refinedFlow, on.coarseFlow, `refined vs coarse flow (${method})`, 1e-6);
      }
    });
  });

  test("a zero-initialised SelfFlow is the identity warp", () => {
    const model = fullModel().eval();
    torch.tidy(() => {
      const [s, d] = [images(2, 1), images(2, 2)];
      const on = torch.inferenceMode(() => model.forward(s, d, [], { identityFlow: true }));
      const identity = makeCoordinateGrid(16, 16).expand(2, 1, 16, 16, 2);
      assertTensorClose(on.selfFlow!, identity, "Psi", 1e-6);
      // Without the branch, F_id is F_motion unwarped: the same frame when Psi is the identity.
      const off = torch.inferenceMode(() => model.forward(s, d, [], { identityFlow: false }));
      assertTensorClose(on.prediction, off.prediction, "prediction with and without SelfFlow", 1e-6);
    });
  });

  test("a trained (non-zero) ODE does change the motion, so the test above can fail", () => {
    const model = fullModel().eval();
    torch.noGrad(() => torch.tidy(() => torch.normal_(model.generator.motion_ode!.f0.final.weight, 0, 0.05)));
    torch.tidy(() => {
      const out = torch.inferenceMode(() => model.forward(images(1, 1), images(1, 2)));
      const moved = out.refinedFlow.sub(out.coarseFlow).abs().amax().item();
      assert.ok(moved > 1e-3, `refined flow moved by ${moved}`);
    });
  });
});

describe("references", () => {
  for (const mode of ["eval", "train"] as const) {
    test(`the output does not depend on their order (${mode} mode, 1e-5)`, () => {
      const model = fullModel();
      model.train(mode === "train");
      // A non-zero SelfFlow and ODE so that every branch takes part.
      torch.noGrad(() =>
        torch.tidy(() => {
          torch.normal_(model.generator.motion_ode!.f_ref!.final.weight, 0, 0.05);
          torch.normal_(model.generator.self_flow!.final.weight, 0, 0.05);
        }),
      );
      torch.tidy(() => {
        const [s, d] = [images(2, 1), images(2, 2)];
        const refs = [images(2, 3), images(2, 4), images(2, 5)];
        const run = (order: Tensor[]) => torch.noGrad(() => model.forward(s, d, order).prediction);
        const forward = run(refs);
        assertTensorClose(run([refs[2], refs[0], refs[1]]), forward, "prediction, references rotated", 1e-5);
        assertTensorClose(run([refs[1], refs[2], refs[0]]), forward, "prediction, references rotated twice", 1e-5);
      });
    });
  }

  test("the source given again as a reference raises the visibility to 1 - (1 - s)^2", () => {
    // Two identical views: alpha = 1/2 each, and v = 1 - (1 - s)^2 instead of the one-shot s.
    const model = fullModel().eval();
    torch.tidy(() => {
      const [s, d] = [images(1, 1), images(1, 2)];
      const one = torch.inferenceMode(() => model.forward(s, d, [], { refine: false }));
      const two = torch.inferenceMode(() => model.forward(s, d, [s], { refine: false }));
      const s1 = one.visibility;
      assertTensorClose(two.visibility, s1.mul(2).sub(s1.square()), "v = 1 - (1 - s)^2", 1e-6);
    });
  });
});

describe("switches", () => {
  test("asking for a branch the model was built without is a clear error", () => {
    const baseline = new DiME(tinyDimeParams({ refine: false, identity_flow: false, num_refs: 0, jacobians: false }));
    torch.tidy(() => {
      const [s, d] = [images(1, 1), images(1, 2)];
      assert.throws(() => baseline.forward(s, d, [], { refine: true }), /refine: .*no MotionODE/);
      assert.throws(() => baseline.forward(s, d, [], { identityFlow: true }), /identity_flow: .*no SelfFlow/);
      assert.throws(() => baseline.forward(s, d, [], { jacobians: true }), /jacobians: .*no Jacobian head/);
    });
  });

  test("the baseline has no DiME parameters; the full model adds exactly motion_ode, self_flow and fuse", () => {
    const baseline = new DiME(tinyDimeParams({ refine: false, identity_flow: false, num_refs: 0, jacobians: false }));
    const full = fullModel();
    const base = new Set(baseline.stateDict().keys());
    const added = [...full.stateDict().keys()].filter((k) => !base.has(k));
    const roots = new Set(added.map((k) => k.split(".").slice(0, 2).join(".")));
    assert.deepEqual([...roots].sort(), ["generator.fuse", "generator.motion_ode", "generator.self_flow"]);
    assert.ok(
      added.some((k) => k.startsWith("generator.motion_ode.f_ref.")),
      "f_ref for a model trained with references",
    );
  });
});
