// `dime info`: multiply-add counting against hand-computed figures, and the per-module
// parameter table adding up to the model's total.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { Conv2d, Linear, ConvTranspose2d, countMacs } from "../src/nn/index.js";
import { describeModel, formatModelInfo } from "../src/dime/info.js";
import { DEFAULT_CONFIG } from "../src/dime/config/schema.js";
import { tinyDimeParams } from "./helpers/model-fixtures.js";

test("countMacs: conv, transposed conv and linear by hand", () => {
  torch.tidy(() => {
    const conv = new Conv2d(3, 8, 3, { padding: 1, stride: 2 });
    const convT = new ConvTranspose2d(4, 6, 2, { stride: 2, groups: 2 });
    const linear = new Linear(10, 5);
    const { macs } = countMacs(() => {
      conv.forward(torch.zeros([2, 3, 16, 16])); // out 2x8x8x8 = 1024 outputs, 27 MACs each
      convT.forward(torch.zeros([1, 4, 5, 5])); // 100 inputs, each to (6/2) * 2 * 2 = 12 outputs
      linear.forward(torch.zeros([7, 10])); // 35 outputs, 10 each
    });
    assert.equal(macs, 1024 * 27 + 100 * 12 + 35 * 10);
    // Nested counts add to the outer one; nothing is counted outside.
    const outer = countMacs(() => countMacs(() => linear.forward(torch.zeros([1, 10]))).macs);
    assert.deepEqual([outer.result, outer.macs], [50, 50]);
    assert.equal(countMacs(() => undefined).macs, 0);
  });
});

test("describeModel: module parameters add up to the total; every switch costs something", () => {
  const config = (switches: Parameters<typeof tinyDimeParams>[0]) => ({
    ...DEFAULT_CONFIG,
    dataset_params: { ...DEFAULT_CONFIG.dataset_params, frame_shape: [64, 64, 3] as [number, number, number] },
    model_params: tinyDimeParams(switches),
  });
  const full = describeModel(config({ num_refs: 2 }));
  const baseline = describeModel(config({ refine: false, identity_flow: false, num_refs: 0, jacobians: false }));
  for (const info of [full, baseline])
    assert.equal(
      info.modules.reduce((n, m) => n + m.parameters, 0),
      info.parameters,
    );
  assert.deepEqual(
    baseline.modules.map((m) => m.part.split(" ")[0]),
    ["KeypointDetector", "CoarseMotion", "Encoder", "Generator"],
  );
  assert.equal(full.modules.length, 6);
  assert.ok(full.macsPerFrame > baseline.macsPerFrame && full.macsSetup > baseline.macsSetup);
  assert.equal(full.references, 2);
  assert.match(
    formatModelInfo(full, "x.yaml"),
    /^x\.yaml: 64x64, 2 reference view\(s\)[\s\S]*total[\s\S]*multiply-adds per frame: \d+\.\d{3} G/,
  );
});
