// The detector once on joined batches (DiME.keypointsOfEach, and so DiME.forward and the training
// objective) finds the keypoints, makes the gradients and updates the batch-norm statistics of one
// call per batch, as FOMM's separate source, driving and X(D) calls do.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import type { Tensor } from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import type { Keypoints } from "../src/dime/keypoint_detector.js";
import { assertClose } from "./helpers/assert.js";
import { fommTinyParams } from "./helpers/model-fixtures.js";

const values = (t: Tensor) => torch.tidy(() => t.flatten().toArray());

/** Two models with the same weights, in training mode. */
function twins(): [DiME, DiME] {
  torch.manualSeed(3);
  const a = new DiME(fommTinyParams()).train();
  torch.manualSeed(3);
  const b = new DiME(fommTinyParams()).train();
  return [a, b];
}

/** A loss that weights every keypoint and Jacobian entry differently, so every gradient counts. */
function keypointLoss(kps: readonly Keypoints[]): Tensor {
  return torch.tidy(() =>
    kps
      .map((kp, i) =>
        kp.value
          .mul(i + 1)
          .sin()
          .sum()
          .add(
            kp
              .jacobian!.mul(0.5 * (i + 1))
              .square()
              .sum(),
          ),
      )
      .reduce((sum, term) => sum.add(term)),
  );
}

describe("keypoints of joined batches", () => {
  test("keypointsOfEach: keypoints, detector gradients and running statistics of separate calls", () => {
    const [separate, joined] = twins();
    const generator = new torch.Generator(11);
    // Batches of different sizes and brightness, so per-batch statistics differ from joined ones.
    const batches = [
      torch.rand([2, 3, 64, 64], { generator }),
      torch.rand([3, 3, 64, 64], { generator }).mul(0.3),
      torch.rand([2, 3, 64, 64], { generator }).mul(0.5).add(0.5),
    ];
    const expected = torch.tidy(() => {
      const kps = batches.map((images) => separate.keypoints(images, true));
      keypointLoss(kps).backward();
      return kps;
    });
    const actual = torch.tidy(() => {
      const kps = joined.keypointsOfEach(batches, true);
      keypointLoss(kps).backward();
      return kps;
    });
    expected.forEach((kp, i) => {
      assert.deepEqual(actual[i].value.shape, kp.value.shape);
      assertClose(values(actual[i].value), values(kp.value), 1e-5, 1e-4, `batch ${i} keypoints`);
      assertClose(values(actual[i].jacobian!), values(kp.jacobian!), 1e-5, 1e-4, `batch ${i} Jacobians`);
    });
    const joinedParams = new Map(joined.kp_detector.namedParameters());
    let compared = 0;
    for (const [name, p] of separate.kp_detector.namedParameters()) {
      // Zero by construction, rounding noise on both sides: a conv bias before a training-mode
      // batch norm, and the heatmap conv's bias under the spatial softmax.
      if (/\.conv\.bias$/.test(name) || name === "kp.bias") continue;
      const q = joinedParams.get(name)!;
      assert.ok(p.grad && q.grad, `${name} has a gradient`);
      const scale = Math.max(...values(p.grad).map(Math.abs), 1e-3);
      assertClose(values(q.grad), values(p.grad), 1e-5 * scale, 1e-4, `${name} gradient`);
      compared++;
    }
    assert.ok(compared > 20, `compared ${compared} parameters`);
    const joinedBuffers = new Map(joined.kp_detector.namedBuffers());
    for (const [name, b] of separate.kp_detector.namedBuffers()) assertClose(values(joinedBuffers.get(name)!), values(b), 1e-5, 1e-4, name);
    assert.equal(joinedBuffers.get("predictor.encoder.down_blocks.0.norm.num_batches_tracked")!.item(), 3);

    // Statistics over the joined batch would have given other keypoints: the grouping matters.
    const [plain] = twins();
    const pooled = torch.tidy(() => values(plain.keypoints(torch.cat(batches, 0), true).value.narrow(0, 0, 2)));
    const gap = Math.max(...pooled.map((v, i) => Math.abs(v - values(expected[0].value)[i])));
    assert.ok(gap > 1e-3, `pooled statistics move the keypoints by ${gap}`);
    torch.dispose([batches, expected, actual]);
    for (const model of [separate, joined, plain]) model.dispose();
  });

  test("forward: kpSource, kpDriving and kpAlso are the separate calls' keypoints", () => {
    const [separate, joined] = twins();
    const generator = new torch.Generator(5);
    const [source, driving, also] = [0, 1, 2].map(() => torch.rand([2, 3, 64, 64], { generator }));
    const expected = torch.tidy(() => [source, driving, also].map((images) => separate.keypoints(images, true)));
    const out = joined.forward(source, driving, [], { alsoDetect: also });
    const actual = [out.kpSource, out.kpDriving, out.kpAlso!];
    expected.forEach((kp, i) => assertClose(values(actual[i].value), values(kp.value), 1e-5, 1e-4, `batch ${i}`));
    torch.dispose([source, driving, also, expected, out]);
    separate.dispose();
    joined.dispose();
  });
});
