// Adam's fused step (torch.adamStep_, one native pass per parameter) against its per-op update:
// the same parameters and moments within float rounding, over several steps, with and without
// weight decay, on sizes that cross the parallel chunks and leave vector tails; parameters it
// cannot take (not contiguous) fall back to the ops in the same group; bad input is refused.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import * as optim from "../src/optim/index.js";
import { assertClose } from "./helpers/assert.js";

/** Adam with every parameter through update()'s ops: the reference the fused step must match. */
class PerOpAdam extends optim.Adam {
  protected override updateGroup(group: optim.AdamHyper, updates: readonly optim.ParamUpdate[]): void {
    for (const { param, grad, state } of updates) this.update(param, grad, group, state);
  }
}

const SHAPES = [[70001], [3, 5, 7], [1], [64, 33]];

function trajectory(make: (params: Tensor[]) => optim.Adam, steps: number, layout: (t: Tensor) => Tensor = (t) => t) {
  const generator = new torch.Generator(5);
  const params = SHAPES.map((shape) => layout(torch.randn(shape, { generator })).requiresGrad_());
  const optimizer = make(params);
  for (let s = 0; s < steps; s++) {
    for (const p of params) p.setGrad(torch.randn(p.shape, { generator }).mul(s + 1));
    optimizer.step();
  }
  const state = optimizer.stateDict();
  const result = {
    params: params.map((p) => p.contiguous().flatten().toArray() as number[]),
    moments: [...state.tensors].map(([name, t]) => [name, t.contiguous().flatten().toArray()] as const),
    meta: state.meta,
  };
  torch.dispose([...params, ...state.tensors.values()]);
  optimizer.dispose();
  return result;
}

for (const weightDecay of [0, 0.01]) {
  test(`fused Adam equals the per-op update over 5 steps (weight decay ${weightDecay})`, () => {
    const options = { lr: 0.01, betas: [0.5, 0.999] as [number, number], eps: 1e-8, weightDecay };
    const fused = trajectory((p) => new optim.Adam(p, options), 5);
    const ops = trajectory((p) => new PerOpAdam(p, options), 5);
    fused.params.forEach((p, i) => assertClose(p, ops.params[i], 1e-7, 1e-5, `parameter ${i}`));
    assert.deepEqual(
      fused.moments.map(([name]) => name),
      ops.moments.map(([name]) => name),
    );
    fused.moments.forEach(([name, m], i) => assertClose(m, ops.moments[i][1], 1e-7, 1e-5, name));
    assert.deepEqual(fused.meta, { ...ops.meta, optimizer: "Adam" }, "step counts and hyper-parameters");
    // The check can fail: one step fewer is far from it.
    const fewer = trajectory((p) => new optim.Adam(p, options), 4);
    assert.throws(() => assertClose(fewer.params[0], ops.params[0], 1e-7, 1e-5, "parameter 0"));
  });
}

test("parameters the fused step cannot take (not contiguous) take the ops, in the same group", () => {
  const options = { lr: 0.01, betas: [0.9, 0.99] as [number, number], eps: 1e-8, weightDecay: 0 };
  // Transposed 2-D parameters are not contiguous; the others are.
  const transposed = (t: Tensor) => (t.ndim === 2 ? t.transpose(0, 1).contiguous().transpose(0, 1) : t);
  const mixed = trajectory((p) => new optim.Adam(p, options), 3, transposed);
  const ops = trajectory((p) => new PerOpAdam(p, options), 3);
  mixed.params.forEach((p, i) => assertClose(p, ops.params[i], 1e-7, 1e-5, `parameter ${i}`));
});

test("moments loaded from a checkpoint in another layout take the ops; the step goes on", () => {
  const options = { lr: 0.01, betas: [0.9, 0.99] as [number, number], eps: 1e-8, weightDecay: 0 };
  const run = (make: (p: Tensor[]) => optim.Adam, transposeMoments: boolean) => {
    const generator = new torch.Generator(9);
    const param = torch.randn([6, 5], { generator }).requiresGrad_();
    const grads = [0, 1].map(() => torch.randn([6, 5], { generator }));
    const first = make([param]);
    param.setGrad(grads[0].clone());
    first.step();
    const dict = first.stateDict();
    // The same values, stored transposed (not contiguous), as a checkpoint might hold them.
    const tensors = new Map(
      [...dict.tensors].map(([k, t]) => [k, transposeMoments ? t.transpose(0, 1).contiguous().transpose(0, 1) : t.clone()]),
    );
    const second = make([param]);
    second.loadStateDict({ tensors, meta: dict.meta });
    param.setGrad(grads[1].clone());
    second.step();
    const result = param.flatten().toArray() as number[];
    torch.dispose([param, ...grads, ...dict.tensors.values(), ...tensors.values()]);
    first.dispose();
    second.dispose();
    return result;
  };
  const fused = run((p) => new optim.Adam(p, options), false);
  assertClose(
    run((p) => new optim.Adam(p, options), true),
    fused,
    1e-7,
    1e-5,
    "parameter after a step with transposed moments",
  );
  assertClose(
    run((p) => new PerOpAdam(p, options), false),
    fused,
    1e-7,
    1e-5,
    "the ops' parameter",
  );
});

test("adamStep_ refuses lists of different lengths, other dtypes and bad step counts, naming the parameter", () => {
  const [p, g, m, v] = [1, 2, 3, 4].map(() => torch.zeros([4]));
  const options = { lr: 0.1, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0 };
  assert.throws(() => torch.adamStep_([p], [g], [m], [], [1], options), /lists of the same length/);
  const double = torch.zeros([4], { dtype: "float64" });
  assert.throws(() => torch.adamStep_([p], [double], [m], [v], [1], options), /parameter 0: .*contiguous CPU float32/);
  assert.throws(() => torch.adamStep_([p], [torch.zeros([5])], [m], [v], [1], options), /parameter 0: .*parameter's size/);
  assert.throws(() => torch.adamStep_([p], [g], [m], [v], [0], options), /parameter 0: step counts start at 1/);
  torch.dispose([p, g, m, v, double]);
});
