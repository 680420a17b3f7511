// FOMM parity for one training step (FOMM's GeneratorFullModel, ../shared/golden): DiME's baseline
// in training mode, with the golden TPS warp and the hash-generated VGG-19, reproduces every loss
// term, every parameter gradient and the batch-norm running statistics after the step.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as torch from "../src/torch/index.js";
import { DiME } from "../src/dime/dime.js";
import { DEFAULT_CONFIG, type TrainParams } from "../src/dime/config/schema.js";
import { TrainingObjective } from "../src/dime/objective.js";
import { PerceptualPyramidLoss, Vgg19, hashVgg19Weights } from "../src/dime/losses/index.js";
import { Transform } from "../src/dime/losses/transform.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { NO_GOLDEN, GOLDEN_DIR, loadGolden, assertTensorClose, relativeL2 } from "./helpers/golden.js";
import { fommTinyParams } from "./helpers/model-fixtures.js";
import { SLOW } from "./helpers/tier.js";

// The reference was computed in float64 (and stored rounded to float32). In float64 we agree to
// the storage's rounding. In float32 gradients agree in norm only: the L1 perceptual loss on
// ReLU/max-pool features has a gradient discontinuous in its input (golden README), so float32
// rounding in the forward moves a few elements across kinks. Measured here: worst tensor 1.6e-3
// relative L2 in float32 (PyTorch's own float32 run: 2.4e-5; the kernels' summation order differs),
// 3.5e-8 in float64; the zero gradients hold float32 noise up to 1.9e-5 (gradients are O(1-10)).
const TOLERANCES = {
  float64: { lossRtol: 1e-9, gradRelL2: 1e-6, zeroGradAtol: 1e-9, tensorAtol: 1e-6 },
  float32: { lossRtol: 2e-5, gradRelL2: 5e-3, zeroGradAtol: 1e-4, tensorAtol: 1e-4 },
} as const;

function trainParams(scales: number[]): TrainParams {
  return { ...DEFAULT_CONFIG.train_params, scales, perceptual: "vgg", loss_weights: { ...DEFAULT_CONFIG.train_params.loss_weights } };
}

// The 128 px file adds the 0.125 scale (VGG needs 16 px); its float32 gradients are only within
// about 1 % of the reference (README), so it is checked in float64.
const CASES = [
  { file: "fomm-tiny-train-64px.safetensors", size: 64, scales: [1, 0.5, 0.25], dtype: "float64" },
  { file: "fomm-tiny-train-64px.safetensors", size: 64, scales: [1, 0.5, 0.25], dtype: "float32" },
  { file: "fomm-tiny-train.safetensors", size: 128, scales: [1, 0.5, 0.25, 0.125], dtype: "float64" },
] as const;

for (const { file, size, scales, dtype } of CASES)
  describe(`FOMM golden, one training step at ${size}x${size} (scales ${scales.join(", ")}), ${dtype}`, {
    skip: NO_GOLDEN || (dtype === "float64" && SLOW.skip),
  }, () => {
    const { lossRtol: LOSS_RTOL, gradRelL2: GRAD_REL_L2, zeroGradAtol: ZERO_GRAD_ATOL, tensorAtol } = TOLERANCES[dtype];
    const stored = NO_GOLDEN ? new Map<string, torch.Tensor>() : loadGolden(file);
    // Inputs, warp and weights in the test's dtype (the float32 values convert exactly).
    const golden = new Map(
      [...stored].map(([k, t]) => [
        k,
        torch.keep(
          torch.isFloating(t.dtype) && t.dtype !== dtype && !k.startsWith("loss") && !k.startsWith("perceptual_term") ? t.to(dtype) : t,
        ),
      ]),
    );
    const at = (key: string): torch.Tensor => {
      const t = golden.get(key);
      if (t === undefined) throw new Error(`${file} holds no ${key}`);
      return t;
    };
    const zeroGrads = NO_GOLDEN
      ? new Set<string>()
      : new Set<string>(JSON.parse(readSafetensors(`${GOLDEN_DIR}/${file}`).metadata.zero_gradient_params));
    const model = new DiME(fommTinyParams());
    const vgg = new Vgg19();
    let result: ReturnType<TrainingObjective["compute"]> | undefined;

    test("the step runs: weights load, losses are computed and backpropagated", () => {
      model.loadStateDict(loadGolden("fomm-tiny-weights.safetensors"));
      model.to(dtype);
      torch.tidy(() => vgg.loadWeights(hashVgg19Weights()));
      const params = trainParams([...scales]);
      const loss = new PerceptualPyramidLoss(vgg, { scales: params.scales, weights: params.loss_weights.perceptual }).to(dtype);
      const objective = new TrainingObjective(model, params, loss);
      const transform = new Transform(at("transform.theta"), at("transform.control_points"), at("transform.control_params"));
      model.train();
      result = torch.keep(
        objective.compute({ source: at("input.source"), driving: at("input.driving"), references: [] }, undefined, { transform }),
      );
      result.total.backward();
    });

    test("each loss term and the total match", () => {
      assert.ok(result);
      const check = (actual: torch.Tensor, key: string) => {
        const [a, e] = [actual.item(), at(key).item()];
        assert.ok(
          Math.abs(a - e) <= LOSS_RTOL * Math.abs(e),
          `${key}: ${a} vs ${e} (relative ${(Math.abs(a - e) / Math.abs(e)).toExponential(2)})`,
        );
      };
      check(result.losses.get("perceptual")!, "loss.perceptual");
      check(result.losses.get("equivariance_value")!, "loss.equivariance_value");
      check(result.losses.get("equivariance_jacobian")!, "loss.equivariance_jacobian");
      check(result.total, "loss.total");
      for (const s of scales) {
        for (let i = 1; i <= 5; i++) check(result.details.get(`scale_${s}.relu${i}_1`)!, `perceptual_term.scale_${s}.relu${i}_1`);
      }
    });

    test("keypoints, dense motion, prediction and X(D) in training mode match", () => {
      assert.ok(result);
      const out = result.output;
      const pairs: [torch.Tensor, string][] = [
        [out.kpSource.value, "kp_source.value"],
        [out.kpSource.jacobian!, "kp_source.jacobian"],
        [out.kpDriving.value, "kp_driving.value"],
        [out.kpDriving.jacobian!, "kp_driving.jacobian"],
        [out.mask.squeeze(1), "dense_motion.mask"],
        [out.coarseFlow.squeeze(1), "dense_motion.deformation"],
        [out.visibility, "dense_motion.occlusion_map"],
        [out.prediction, "generator.prediction"],
        [result.transformedFrame!, "transformed_frame"],
      ];
      // The 128 px file stores no prediction or X(D).
      for (const [actual, key] of pairs) if (golden.has(key)) assertTensorClose(actual, at(key), key, tensorAtol);
    });

    test(`every parameter gradient matches (relative L2 <= ${GRAD_REL_L2}; the 20 zero ones to ${ZERO_GRAD_ATOL})`, () => {
      const report: string[] = [];
      let worst = 0;
      for (const [name, p] of model.namedParameters()) {
        const expected = at(`grad.${name}`);
        assert.ok(expected, `no golden gradient for ${name}`);
        assert.ok(p.grad, `${name} received no gradient`);
        if (zeroGrads.has(name)) {
          const largest = p.grad.abs().amax().item();
          if (largest > ZERO_GRAD_ATOL) report.push(`${name}: should be zero, largest |g| ${largest}`);
          continue;
        }
        const rel = relativeL2(p.grad, expected);
        worst = Math.max(worst, rel);
        if (!(rel <= GRAD_REL_L2)) report.push(`${name}: relative L2 ${rel.toExponential(2)}`);
      }
      assert.equal(zeroGrads.size, 20);
      report.unshift(`${dtype}: worst relative L2 ${worst.toExponential(2)}`);
      if (report.length === 1) return;
      assert.fail(report.join("\n"));
    });

    test("batch-norm running statistics after the step match (three detector calls, one generator call)", () => {
      // DEVIATION: FOMM's synchronised BN never counts num_batches_tracked; ours counts as PyTorch's
      // BatchNorm2d does. With a fixed momentum of 0.1 the count changes no output.
      for (const [name, t] of model.stateDict()) {
        if (!name.endsWith("running_mean") && !name.endsWith("running_var")) continue;
        assertTensorClose(t, at(`after.${name}`), `after.${name}`, tensorAtol, 1e-5);
      }
    });
  });
