// FOMM's single_jacobian_map (mgif-256): one Jacobian map shared by every keypoint, each keypoint
// weighting it by its own heatmap. Equal to a per-keypoint detector whose K maps are copies of it.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/torch/index.js";
import { KeypointDetector } from "../src/dime/keypoint_detector.js";

test("a single Jacobian map equals K copies of it, and starts at the identity", () => {
  torch.manualSeed(16);
  const options = {
    num_kp: 5,
    num_channels: 3,
    block_expansion: 8,
    max_features: 32,
    num_blocks: 3,
    temperature: 0.1,
    scale_factor: 0.5,
    pad: 0,
    estimate_jacobian: true,
  };
  const single = new KeypointDetector({ ...options, single_jacobian_map: true }).eval();
  const perKeypoint = new KeypointDetector({ ...options, single_jacobian_map: false }).eval();
  try {
    assert.deepEqual(single.jacobian!.weight.shape, [4, single.predictor.outFilters, 7, 7]);
    assert.equal(perKeypoint.jacobian!.weight.shape[0], 20);
    torch.tidy(() => {
      const images = torch.rand([2, 3, 64, 64]);
      // Untrained: zero weights and bias (1, 0, 0, 1): every Jacobian is the identity.
      const identity = torch.inferenceMode(() => single.forward(images)).jacobian!;
      assert.ok(
        identity
          .sub(torch.eye(2).expand(2, 5, 2, 2))
          .abs()
          .amax()
          .item() < 1e-6,
      );
      torch.noGrad(() => {
        torch.normal_(single.jacobian!.weight, 0, 0.05);
        torch.normal_(single.jacobian!.bias!, 0, 0.5);
        perKeypoint.loadStateDict(new Map([...single.stateDict()].filter(([k]) => !k.startsWith("jacobian."))), { strict: false });
        perKeypoint.jacobian!.weight.copy_(single.jacobian!.weight.repeat(5, 1, 1, 1));
        perKeypoint.jacobian!.bias!.copy_(single.jacobian!.bias!.repeat(5));
      });
      const a = torch.inferenceMode(() => single.forward(images));
      const b = torch.inferenceMode(() => perKeypoint.forward(images));
      assert.ok(a.value.sub(b.value).abs().amax().item() === 0);
      assert.ok(a.jacobian!.sub(b.jacobian!).abs().amax().item() < 1e-6);
      assert.ok(
        a
          .jacobian!.sub(torch.eye(2).expand(2, 5, 2, 2))
          .abs()
          .amax()
          .item() > 1e-3,
        "the maps moved the Jacobians off the identity",
      );
    });
  } finally {
    single.dispose();
    perKeypoint.dispose();
  }
});
