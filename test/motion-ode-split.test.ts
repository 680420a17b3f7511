// The MotionODE's first convolution split in two (dime/motion_ode.ts constantPart): the share over
// the driving heatmaps and context computed once per integration gives the same f(u, eps) and the
// same gradients as convolving the whole input at every evaluation, in eval mode (folded or not)
// and in training mode.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { MotionDynamics, type MotionConditions } from "../src/dime/motion_ode.js";
import { tuneForInference } from "../src/dime/inference-tuning.js";
import { assertTensorClose } from "./helpers/golden.js";

const OPTIONS = { num_kp: 4, num_channels: 3, block_expansion: 8, max_features: 32, num_blocks: 2, context_channels: 12 };

function dynamics(dtype: "float32" | "float64" = "float32"): MotionDynamics {
  torch.manualSeed(5);
  const f = new MotionDynamics(OPTIONS).to(dtype);
  // A non-zero last conv, so the output depends on everything before it.
  torch.noGrad(() =>
    torch.tidy(() =>
      f.final.weight.copy_(
        torch
          .randn(f.final.weight.shape, { generator: new torch.Generator(6) })
          .mul(0.1)
          .to(dtype),
      ),
    ),
  );
  return f;
}

function inputs(dtype: "float32" | "float64" = "float32"): { u: Tensor; conditions: MotionConditions } {
  const g = new torch.Generator(9);
  const as = (t: Tensor) => torch.tidy(() => t.to(dtype));
  return {
    u: as(torch.randn([2, 2, 16, 16], { generator: g }).mul(0.1)),
    conditions: {
      viewDown: as(torch.rand([2, 3, 16, 16], { generator: g })),
      drivingHeatmaps: as(torch.rand([2, 4, 16, 16], { generator: g })),
      context: as(torch.randn([2, 12, 16, 16], { generator: g })),
    },
  };
}

test("f(u, eps) with the constant share precomputed equals the whole convolution (eval, folded, training)", () => {
  const f = dynamics();
  const { u, conditions } = inputs();
  const compare = (what: string) =>
    torch.tidy(() => {
      const whole = f.forward(0.5, u, conditions);
      const split = f.forward(0.5, u, conditions, f.constantPart(conditions));
      assertTensorClose(split, whole, what, 1e-5);
    });
  f.eval();
  torch.inferenceMode(() => compare("eval"));
  tuneForInference(f);
  torch.inferenceMode(() => compare("eval, batch norm folded"));
  f.train();
  compare("training mode");
  torch.dispose([u, conditions]);
  f.dispose();
});

// In float64, so that the comparison is of the arithmetic, not of rounding: in float32 training-mode
// batch norm over a small batch magnifies rounding (3.6e-6 of the largest weight gradient).
test("gradients through the split convolution equal the whole convolution's (float64)", () => {
  const grads = (split: boolean) => {
    const f = dynamics("float64").train();
    const { u, conditions } = inputs("float64");
    conditions.context.requiresGrad_();
    torch.tidy(() => {
      const constant = split ? f.constantPart(conditions) : undefined;
      // Two evaluations share the constant part, as in an ODE step.
      const a = f.forward(0, u, conditions, constant);
      f.forward(0.5, u.add(a), conditions, constant).square().sum().backward();
    });
    const out = [...f.parameters().map((p) => p.grad!.clone()), conditions.context.grad!.clone()];
    f.zeroGrad();
    torch.dispose([u, conditions]);
    f.dispose();
    return out;
  };
  const whole = grads(false);
  const split = grads(true);
  assert.equal(split.length, whole.length);
  whole.forEach((g, i) => assertTensorClose(split[i], g, `gradient ${i}`, 1e-9));
  torch.dispose([whole, split]);
});
