// FOMM parity in eval mode: DiME's baseline configuration loads FOMM's tiny golden weights with no
// renaming and reproduces every stored intermediate and the prediction (../shared/golden).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { NO_GOLDEN, loadGolden, assertTensorClose } from "./helpers/golden.js";
import { fommTinyParams } from "./helpers/model-fixtures.js";

// The bound for outputs; intermediates are held to the same.
const ATOL = 1e-4;

describe("FOMM golden, eval mode (64x64, batch 2, K = 4, Jacobians)", { skip: NO_GOLDEN }, () => {
  const weights = NO_GOLDEN ? new Map() : loadGolden("fomm-tiny-weights.safetensors");
  const golden = NO_GOLDEN ? new Map() : loadGolden("fomm-tiny-eval.safetensors");
  const model = new DiME(fommTinyParams());

  test("the baseline's state dict has exactly FOMM's keys and shapes, and loads strictly", () => {
    const own = model.stateDict();
    assert.deepEqual([...own.keys()].sort(), [...weights.keys()].sort());
    for (const [key, t] of own) assert.deepEqual(t.shape, weights.get(key)!.shape, key);
    model.loadStateDict(weights);
    model.eval();
  });

  test("keypoints, dense motion, deformed source and prediction match FOMM", () => {
    torch.tidy(() => {
      const out = torch.inferenceMode(() => model.forward(golden.get("input.source"), golden.get("input.driving")));
      const detail = torch.inferenceMode(() => model.kp_detector.detect(golden.get("input.source")));
      const pairs: [torch.Tensor, string][] = [
        [out.kpSource.value, "kp_source.value"],
        [out.kpSource.jacobian!, "kp_source.jacobian"],
        [out.kpDriving.value, "kp_driving.value"],
        [out.kpDriving.jacobian!, "kp_driving.jacobian"],
        [detail.heatmap, "kp_source.heatmap"],
        [out.coarse.viewDown, "dense_motion.source_down"],
        [out.coarse.heatmapRepresentation, "dense_motion.heatmap_representation"],
        [out.coarse.sparseMotion, "dense_motion.sparse_motion"],
        [out.coarse.sparseDeformed, "dense_motion.sparse_deformed"],
        [out.coarse.context, "dense_motion.hourglass_out"],
        [out.coarse.maskLogits, "dense_motion.mask_logits"],
        [out.coarse.mask, "dense_motion.mask"],
        [out.coarse.deformation, "dense_motion.deformation"],
        [out.coarse.confidenceLogit!, "dense_motion.occlusion_logits"],
        [out.visibility, "dense_motion.occlusion_map"],
        [out.deformed, "generator.deformed"],
        [out.prediction, "generator.prediction"],
      ];
      for (const [actual, key] of pairs) assertTensorClose(actual, golden.get(key), key, ATOL);
    });
  });
});
